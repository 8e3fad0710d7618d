#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// A strict JSON reader for tests (RFC 8259: objects, arrays, strings with every escape,
// numbers, true, false, null; nothing but whitespace after the value), to check the files the
// executables write (--summary-json) without a third-party library.
namespace llt::test {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // kString; kNumber: the literal as written
  std::vector<JsonValue> elements;
  std::map<std::string, JsonValue> members;

  [[nodiscard]] bool is_object() const { return kind == Kind::kObject; }
  [[nodiscard]] bool is_array() const { return kind == Kind::kArray; }
  [[nodiscard]] bool is_number() const { return kind == Kind::kNumber; }
  [[nodiscard]] bool has(const std::string& key) const { return members.count(key) != 0; }
  // The member `key` (a null value when absent).
  [[nodiscard]] const JsonValue& operator[](const std::string& key) const {
    static const JsonValue kNullValue;
    const auto it = members.find(key);
    return it == members.end() ? kNullValue : it->second;
  }
  // A whole number member as an integer (the literal, so large counts stay exact).
  [[nodiscard]] std::int64_t integer() const { return std::strtoll(text.c_str(), nullptr, 10); }
};

class JsonReader {
 public:
  // The document, or nullopt with error() saying where it is not JSON.
  static std::optional<JsonValue> parse(std::string_view text, std::string* error = nullptr) {
    JsonReader reader(text);
    JsonValue value;
    if (reader.value(value, 0)) {
      reader.space();
      if (reader.at_ == text.size())
        return value;
      reader.fail("text after the value");
    }
    if (error != nullptr)
      *error = reader.error_;
    return std::nullopt;
  }

  static std::optional<JsonValue> parse_file(const std::string& path,
                                             std::string* error = nullptr) {
    std::ifstream in(path);
    if (!in) {
      if (error != nullptr)
        *error = "cannot open " + path;
      return std::nullopt;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse(text, error);
  }

 private:
  explicit JsonReader(std::string_view text) : in_(text) {}

  bool fail(const std::string& why) {
    if (error_.empty())
      error_ = why + " at offset " + std::to_string(at_);
    return false;
  }

  void space() {
    while (at_ < in_.size() &&
           (in_[at_] == ' ' || in_[at_] == '\n' || in_[at_] == '\r' || in_[at_] == '\t'))
      ++at_;
  }

  bool literal(std::string_view word) {
    if (in_.substr(at_, word.size()) != word)
      return fail("bad literal");
    at_ += word.size();
    return true;
  }

  bool value(JsonValue& out, int depth) {
    if (depth > 64)
      return fail("nested too deep");
    space();
    if (at_ >= in_.size())
      return fail("unexpected end");
    const char c = in_[at_];
    if (c == '{')
      return object(out, depth);
    if (c == '[')
      return array(out, depth);
    if (c == '"') {
      out.kind = JsonValue::Kind::kString;
      return string(out.text);
    }
    if (c == 't') {
      out.kind = JsonValue::Kind::kBool;
      out.boolean = true;
      return literal("true");
    }
    if (c == 'f') {
      out.kind = JsonValue::Kind::kBool;
      return literal("false");
    }
    if (c == 'n')
      return literal("null");
    return number(out);
  }

  bool object(JsonValue& out, int depth) {
    out.kind = JsonValue::Kind::kObject;
    ++at_;
    space();
    if (at_ < in_.size() && in_[at_] == '}') {
      ++at_;
      return true;
    }
    for (;;) {
      space();
      std::string key;
      if (at_ >= in_.size() || in_[at_] != '"' || !string(key))
        return fail("expected a key");
      if (out.members.count(key) != 0)
        return fail("duplicate key " + key);
      space();
      if (at_ >= in_.size() || in_[at_] != ':')
        return fail("expected ':'");
      ++at_;
      if (!value(out.members[key], depth + 1))
        return false;
      space();
      if (at_ < in_.size() && in_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < in_.size() && in_[at_] == '}') {
        ++at_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(JsonValue& out, int depth) {
    out.kind = JsonValue::Kind::kArray;
    ++at_;
    space();
    if (at_ < in_.size() && in_[at_] == ']') {
      ++at_;
      return true;
    }
    for (;;) {
      out.elements.emplace_back();
      if (!value(out.elements.back(), depth + 1))
        return false;
      space();
      if (at_ < in_.size() && in_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < in_.size() && in_[at_] == ']') {
        ++at_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  void utf8(std::uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool string(std::string& out) {
    ++at_;  // the opening quote
    while (at_ < in_.size()) {
      const char c = in_[at_++];
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("unescaped control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= in_.size())
        break;
      const char e = in_[at_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          for (int i = 0; i < 4; ++i) {
            const int h = at_ < in_.size() ? hex(in_[at_++]) : -1;
            if (h < 0)
              return fail("bad \\u escape");
            cp = cp * 16 + static_cast<std::uint32_t>(h);
          }
          utf8(cp, out);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }

  bool number(JsonValue& out) {
    const std::size_t start = at_;
    const auto digits = [this] {
      const std::size_t from = at_;
      while (at_ < in_.size() && in_[at_] >= '0' && in_[at_] <= '9')
        ++at_;
      return at_ - from;
    };
    if (at_ < in_.size() && in_[at_] == '-')
      ++at_;
    if (at_ < in_.size() && in_[at_] == '0') {
      ++at_;
    } else if (digits() == 0) {
      return fail("expected a value");
    }
    if (at_ < in_.size() && in_[at_] == '.') {
      ++at_;
      if (digits() == 0)
        return fail("expected digits after '.'");
    }
    if (at_ < in_.size() && (in_[at_] == 'e' || in_[at_] == 'E')) {
      ++at_;
      if (at_ < in_.size() && (in_[at_] == '+' || in_[at_] == '-'))
        ++at_;
      if (digits() == 0)
        return fail("expected an exponent");
    }
    out.kind = JsonValue::Kind::kNumber;
    out.text = std::string(in_.substr(start, at_ - start));
    out.number = std::strtod(out.text.c_str(), nullptr);
    return true;
  }

  std::string_view in_;
  std::size_t at_ = 0;
  std::string error_;
};

}  // namespace llt::test
