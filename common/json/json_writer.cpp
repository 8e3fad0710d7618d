#include "common/json/json_writer.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <system_error>

#include <fmt/format.h>

namespace llt::common {

std::string JsonWriter::quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::member(std::string_view key) {
  if (first_.empty()) {
    return;  // the document's single top-level value
  }
  out_ += first_.back() ? "\n" : ",\n";
  first_.back() = false;
  out_.append(2 * first_.size(), ' ');
  if (!key.empty()) {
    out_ += quoted(key);
    out_ += ": ";
  }
}

void JsonWriter::open(std::string_view key, char bracket) {
  member(key);
  out_ += bracket;
  first_.push_back(true);
}

void JsonWriter::close(char bracket) {
  if (first_.empty()) {
    return;  // a close without an open: nothing to close
  }
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  out_ += bracket;
  if (first_.empty()) {
    out_ += '\n';
  }
}

void JsonWriter::begin_object(std::string_view key) {
  open(key, '{');
}

void JsonWriter::end_object() {
  close('}');
}

void JsonWriter::begin_array(std::string_view key) {
  open(key, '[');
}

void JsonWriter::end_array() {
  close(']');
}

void JsonWriter::value(std::string_view key, std::string_view text) {
  member(key);
  out_ += quoted(text);
}

void JsonWriter::value(std::string_view key, std::uint64_t number) {
  member(key);
  out_ += fmt::format("{}", number);
}

void JsonWriter::value(std::string_view key, std::int64_t number) {
  member(key);
  out_ += fmt::format("{}", number);
}

void JsonWriter::value(std::string_view key, double number) {
  member(key);
  // fmt's shortest round-trip form ("1e-05", "2.5", "3") is valid JSON for finite values.
  out_ += std::isfinite(number) ? fmt::format("{}", number) : std::string("null");
}

void JsonWriter::value(std::string_view key, bool flag) {
  member(key);
  out_ += flag ? "true" : "false";
}

void add_latency_hops(JsonWriter& json, std::string_view key, std::span<const LatencyHop> hops) {
  json.begin_object(key);
  for (const LatencyHop& hop : hops) {
    const LatencyHistogram& h = *hop.histogram;
    json.begin_object(hop.name);
    json.value("count", h.count());
    json.value("p50", h.percentile(50));
    json.value("p90", h.percentile(90));
    json.value("p99", h.percentile(99));
    json.value("p99_9", h.percentile(99.9));
    json.value("max", h.max());
    json.end_object();
  }
  json.end_object();
}

void write_text_file(const std::string& path, std::string_view text, std::string_view flag) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    throw std::system_error(errno, std::generic_category(), fmt::format("{} {}", flag, path));
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  const int saved = errno;
  if (std::fclose(out) != 0 || !written) {
    throw std::system_error(written ? errno : saved, std::generic_category(),
                            fmt::format("{} {}", flag, path));
  }
}

}  // namespace llt::common
