package dualnet.example;

import java.util.Map;

/** Just enough JSON for one flat object per line; the payload comes already printed. */
final class Json {
  /** JSON text to embed as it is (protobuf's JsonFormat output). */
  record Raw(String text) {}

  private Json() {}

  static String write(Map<String, Object> object) {
    StringBuilder out = new StringBuilder("{");
    for (Map.Entry<String, Object> e : object.entrySet()) {
      if (out.length() > 1) {
        out.append(',');
      }
      string(out, e.getKey());
      out.append(':');
      Object v = e.getValue();
      if (v instanceof Raw raw) {
        out.append(raw.text());
      } else if (v instanceof Number n) {
        out.append(n);
      } else {
        string(out, String.valueOf(v));
      }
    }
    return out.append('}').toString();
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
