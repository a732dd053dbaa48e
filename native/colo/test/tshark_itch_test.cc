// Cross-check with Wireshark: MoldUDP64 packets carrying ITCH 5.0 messages of every type are
// built with our builder and encoder, turned into a pcap by text2pcap (UDP), and decoded by
// tshark (Debian package tshark, 4.0.17 here). tshark's moldudp64 fields must match what was
// encoded; its nasdaq_itch dissector is compared where it agrees with ITCH 5.0.
//
// Which ITCH Wireshark decodes: packet-nasdaq-itch.c is "NASDAQ TotalView-ITCH version
// 2.00/3.00 (with Chi-X extension)": the ASCII protocol (numbers as decimal text, 6-character
// symbols, 9-digit order references, 'T' seconds and 'M' milliseconds messages instead of a
// per-message timestamp). tshark 4.0.17 labels every binary 5.0 message "version 3". The
// moldudp64 dissector does not hand payloads on by itself; `-d moldudp64.payload,nasdaq_itch`
// does (no heuristic is registered: `tshark -G heuristic-decodes` lists neither).
//
// Agreement with 5.0: the Message Type byte (offset 0), for every type. Nothing else: every
// 5.0 message has Stock Locate (2), Tracking Number (2) and a 6-byte timestamp at offsets
// 1..10, where the 3.0 dissector reads its first body field. Message by message (5.0 type:
// what tshark 4.0.17 shows instead of the 5.0 field):
//   S System Event     : system_event = byte 1 (Stock Locate high byte), not the event code at 11
//   R Stock Directory  : stock = bytes 1..6 (locate, tracking, timestamp), market_category /
//                        financial_status from timestamp bytes, round_lot_size as 6 ASCII
//                        characters from bytes 9..14; the 5.0 fields (8-byte symbol at 11,
//                        ETP, LULD tier, ...) are not decoded
//   H Trading Action   : stock/trading_state/reserved/reason read from bytes 1..12
//   A Add Order        : order_reference = strtoul of bytes 1..9 as text (0 for binary),
//                        buy_sell = byte 10, shares = text of bytes 11..16, stock = bytes
//                        17..22, price = text of bytes 23..32 (5.0: 8-byte ref at 11, side at
//                        19, shares u32 at 20, symbol 24..31, price u32 at 32)
//   F Add Order MPID   : as A, then attribution = bytes 33..36 (5.0: 36..39)
//   E Order Executed   : order_reference, executed (text), match (9 ASCII) from the header
//   C Executed w/ Price: as E, then printable and execution_price (text) from the wrong bytes
//   X Order Cancel     : order_reference and canceled from text of bytes 1..15
//   D Order Delete     : order_reference = text of bytes 1..9
//   P Trade            : as A, then match = 9 ASCII bytes
//   Q Cross Trade      : shares (6 ASCII, 5.0 has 8-byte binary), stock, price, match, cross
//                        type, all at 3.0 offsets
//   B Broken Trade     : match = bytes 1..9 as ASCII
//   I NOII             : only stock (bytes 1..6) and cross (byte 7); the 5.0 NOII has paired /
//                        imbalance shares, direction, three prices, cross type, variation
//   Y L V W K J h U N O: unknown to the dissector ("Unknown packet type"), the rest shown as one
//                        nasdaq-itch.message string
//   (and 'T' / 'M', which the dissector knows as seconds / milliseconds, do not exist in 5.0;
//   'a' 'p' 'e' 'x' are Chi-X "big" variants, not NASDAQ 5.0)
// So the test asserts the MoldUDP64 framing fully, and of nasdaq_itch only message_type (and
// that it calls the data version 3, which is the finding above).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "colo/itch.h"
#include "colo/moldudp64.h"

namespace colo {
namespace {

// --- a small JSON reader: enough for tshark -T json --no-duplicate-keys --------------------

struct Json {
  enum Kind { kNull, kString, kArray, kObject } kind = kNull;
  std::string str;  // strings, and numbers / true / false as their text
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;

  const Json* get(const std::string& k) const {
    for (auto& [key, v] : obj)
      if (key == k) return &v;
    return nullptr;
  }
  // A key that may hold one object or (merged duplicates) an array of them.
  std::vector<const Json*> all(const std::string& k) const {
    std::vector<const Json*> out;
    if (const Json* v = get(k)) {
      if (v->kind == kArray) {
        for (auto& e : v->arr) out.push_back(&e);
      } else {
        out.push_back(v);
      }
    }
    return out;
  }
  std::string text(const std::string& k) const {
    const Json* v = get(k);
    return v && v->kind == kString ? v->str : "<missing " + k + ">";
  }
};

struct JsonParser {
  const std::string& s;
  size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  }
  [[noreturn]] void bad() { throw std::runtime_error("bad JSON at " + std::to_string(i)); }
  void expect(char c) {
    ws();
    if (i >= s.size() || s[i] != c) bad();
    ++i;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\') {
        ++i;
        if (i >= s.size()) bad();
        char e = s[i];
        if (e == 'u') {
          out += char(std::stoi(s.substr(i + 1, 4), nullptr, 16));
          i += 4;
        } else {
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
      } else {
        out += s[i];
      }
      ++i;
    }
    expect('"');
    return out;
  }
  Json value() {
    ws();
    if (i >= s.size()) bad();
    Json j;
    if (s[i] == '{') {
      j.kind = Json::kObject;
      ++i;
      ws();
      if (s[i] == '}') return ++i, j;
      for (;;) {
        std::string k = string();
        expect(':');
        j.obj.emplace_back(k, value());
        ws();
        if (s[i] == ',') {
          ++i;
          continue;
        }
        expect('}');
        return j;
      }
    }
    if (s[i] == '[') {
      j.kind = Json::kArray;
      ++i;
      ws();
      if (s[i] == ']') return ++i, j;
      for (;;) {
        j.arr.push_back(value());
        ws();
        if (s[i] == ',') {
          ++i;
          continue;
        }
        expect(']');
        return j;
      }
    }
    if (s[i] == '"') {
      j.kind = Json::kString;
      j.str = string();
      return j;
    }
    size_t start = i;  // number, true, false, null
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n') ++i;
    j.kind = Json::kString;
    j.str = s.substr(start, i - start);
    return j;
  }
};

// --- helpers ---------------------------------------------------------------------------------

std::string run(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen " + cmd);
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *rc = ::pclose(p);
  return out;
}

bool have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

std::string colon_hex(mold::Bytes b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t k = 0; k < b.size(); ++k) {
    if (k) s += ':';
    s += {d[b[k] >> 4], d[b[k] & 15]};
  }
  return s;
}

itch::Header hdr(uint16_t locate, uint64_t ts) { return {locate, uint16_t(locate + 1), ts}; }

// One message of each ITCH 5.0 type, with values that are easy to tell apart.
std::vector<itch::Message> one_of_each() {
  using namespace itch;
  std::vector<Message> v;
  v.push_back(SystemEvent{hdr(1, 1000), 'O'});
  StockDirectory r{};
  r.h = hdr(2, 2000), r.stock = Symbol::of("AAPL"), r.market_category = 'Q', r.financial_status = 'N';
  r.round_lot_size = 100, r.round_lots_only = 'N', r.issue_classification = 'C';
  r.issue_sub_type = Alpha<2>::of("Z"), r.authenticity = 'P', r.short_sale_threshold = 'N';
  r.ipo_flag = 'N', r.luld_reference_price_tier = '1', r.etp_flag = 'N', r.inverse_indicator = 'N';
  v.push_back(r);
  v.push_back(StockTradingAction{hdr(3, 3000), Symbol::of("MSFT"), 'T', ' ', Alpha<4>::of("")});
  v.push_back(RegShoRestriction{hdr(4, 4000), Symbol::of("ZVZZT"), '1'});
  v.push_back(MarketParticipantPosition{hdr(5, 5000), Alpha<4>::of("GSCO"), Symbol::of("IBM"), 'Y', 'N', 'A'});
  v.push_back(MwcbDeclineLevel{hdr(0, 6000), 386149000000ULL, 361775000000ULL, 323526000000ULL});
  v.push_back(MwcbStatus{hdr(0, 7000), '2'});
  v.push_back(IpoQuotingPeriod{hdr(8, 8000), Symbol::of("NEWCO"), 37800, 'A', 175000});
  v.push_back(LuldAuctionCollar{hdr(9, 9000), Symbol::of("TSLA"), 1000000, 1100000, 900000, 2});
  v.push_back(OperationalHalt{hdr(10, 10000), Symbol::of("QQQ"), 'Q', 'H'});
  v.push_back(AddOrder{hdr(11, 11000), 0xA1B2C3, 'B', 300, Symbol::of("AMD"), 1234500});
  v.push_back(AddOrderMpid{hdr(12, 12000), 7, 'S', 100, Symbol::of("AMD"), 1, Alpha<4>::of("VIRT")});
  v.push_back(OrderExecuted{hdr(13, 13000), 7, 50, 12345678});
  v.push_back(OrderExecutedWithPrice{hdr(14, 14000), 7, 50, 12345679, 'N', 1234400});
  v.push_back(OrderCancel{hdr(15, 15000), 7, 10});
  v.push_back(OrderDelete{hdr(16, 16000), 7});
  v.push_back(OrderReplace{hdr(17, 17000), 7, 9, 200, 1234500});
  v.push_back(TradeNonCross{hdr(18, 18000), 0, 'B', 400, Symbol::of("NVDA"), 5000000, 99});
  v.push_back(CrossTrade{hdr(19, 19000), 1ULL << 32, Symbol::of("SPY"), 3000000, 100, 'O'});
  v.push_back(BrokenTrade{hdr(20, 20000), 99});
  v.push_back(Noii{hdr(21, 21000), 1000, 100, 'B', Symbol::of("AAPL"), 2000000, 2000200, 2000100, 'C', 'L'});
  v.push_back(Rpii{hdr(22, 22000), Symbol::of("AAPL"), 'A'});
  v.push_back(DirectListingPriceDiscovery{hdr(23, 23000), Symbol::of("DLST"), 'Y', 100000, 300000,
                                          180000, 0x221B8B4E9A00ULL, 150000, 187500});
  return v;
}

struct Expected {
  uint64_t sequence;
  uint16_t count;
  std::vector<std::vector<uint8_t>> messages;
};

constexpr int kPort = 26477;

TEST(TsharkItch, MoldUdp64AndItchAgreeWithWireshark) {
  ASSERT_TRUE(have("tshark")) << "tshark is not installed (Debian package tshark): this "
                                 "cross-check needs it, it does not skip";
  ASSERT_TRUE(have("text2pcap")) << "text2pcap is not installed (Debian package tshark)";

  char tmpl[] = "/tmp/colo_tshark_XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl));
  std::filesystem::path dir = tmpl;
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {  // COLO_TSHARK_KEEP=1 keeps the pcap for a look in Wireshark
      if (std::getenv("COLO_TSHARK_KEEP")) {
        std::fprintf(stderr, "kept %s\n", p.c_str());
      } else {
        std::filesystem::remove_all(p);
      }
    }
  } cleanup{dir};

  // Packets: the 23 messages over several packets (300-byte payloads), then a heartbeat and an
  // End of Session.
  const auto session = mold::Session::of("WSHARK0001");
  mold::PacketBuilder b(session, 1000, 300);
  std::vector<std::vector<uint8_t>> packets;
  std::vector<Expected> expected;
  auto take = [&] {
    Expected e{b.first_sequence(), b.count(), {}};
    auto pk = b.take();
    mold::parse_packet(pk.data(), pk.size()).for_each([&](uint64_t, mold::Bytes m) {
      e.messages.emplace_back(m.begin(), m.end());
    });
    packets.push_back(std::move(pk));
    expected.push_back(std::move(e));
  };
  auto messages = one_of_each();
  ASSERT_EQ(messages.size(), itch::kMessageTypeCount);
  for (auto& m : messages) {
    uint8_t buf[itch::kMaxMessageLength];
    size_t n = itch::encode(m, buf);
    if (!b.fits(n)) take();
    ASSERT_TRUE(b.append(buf, n));
  }
  take();
  ASSERT_GE(packets.size(), 3u);
  packets.push_back(b.heartbeat());
  expected.push_back({b.next_sequence(), 0, {}});
  packets.push_back(b.end_of_session());
  expected.push_back({b.next_sequence(), 0xFFFF, {}});

  {
    std::ofstream dump(dir / "packets.txt");
    for (auto& pk : packets) {  // text2pcap: each packet starts again at offset 000000
      dump << "000000";
      char h[4];
      for (uint8_t c : pk) std::snprintf(h, sizeof h, " %02x", c), dump << h;
      dump << "\n";
    }
  }
  int rc = 0;
  std::string pcap = (dir / "packets.pcap").string();
  run("text2pcap -q -u 40000," + std::to_string(kPort) + " " + (dir / "packets.txt").string() + " " +
          pcap + " 2>&1",
      &rc);
  ASSERT_EQ(rc, 0) << "text2pcap failed";

  auto tshark = [&](const std::string& extra) {
    int code = 0;
    std::string out = run("tshark -r " + pcap + " -d udp.port==" + std::to_string(kPort) +
                              ",moldudp64 " + extra + " -T json --no-duplicate-keys 2>/dev/null",
                          &code);
    EXPECT_EQ(code, 0) << "tshark failed";
    JsonParser p{out};
    Json j = p.value();
    std::vector<const Json*> layers;
    for (auto& frame : j.arr) layers.push_back(frame.get("_source")->get("layers"));
    return std::make_pair(std::move(j), layers);
  };

  // 1. MoldUDP64 framing: session, sequence, count, and per block msgseq / msglen / msgdata.
  {
    auto [doc, layers] = tshark("");
    ASSERT_EQ(layers.size(), packets.size());
    for (size_t k = 0; k < packets.size(); ++k) {
      SCOPED_TRACE("packet " + std::to_string(k));
      const Json* mold = layers[k]->get("moldudp64");
      ASSERT_TRUE(mold) << "tshark did not decode MoldUDP64";
      EXPECT_EQ(mold->text("moldudp64.session"), "WSHARK0001");
      EXPECT_EQ(mold->text("moldudp64.sequence"), std::to_string(expected[k].sequence));
      EXPECT_EQ(mold->text("moldudp64.count"), std::to_string(expected[k].count));
      auto blocks = mold->all("moldudp64.msgblock");
      ASSERT_EQ(blocks.size(), expected[k].messages.size());
      for (size_t i = 0; i < blocks.size(); ++i) {
        const auto& m = expected[k].messages[i];
        EXPECT_EQ(blocks[i]->text("moldudp64.msgseq"), std::to_string(expected[k].sequence + i));
        EXPECT_EQ(blocks[i]->text("moldudp64.msglen"), std::to_string(m.size()));
        EXPECT_EQ(blocks[i]->text("moldudp64.msgdata"), colon_hex({m.data(), m.size()}));
      }
    }
  }

  // 2. The payloads handed to nasdaq_itch: the message type agrees; the version it infers is 3.
  {
    auto [doc, layers] = tshark("-d moldudp64.payload,nasdaq_itch");
    ASSERT_EQ(layers.size(), packets.size());
    std::map<char, int> seen;
    for (size_t k = 0; k < packets.size(); ++k) {
      const Json* mold = layers[k]->get("moldudp64");
      ASSERT_TRUE(mold);
      auto itch_layers = mold->all("nasdaq_itch");
      ASSERT_EQ(itch_layers.size(), expected[k].messages.size()) << "packet " << k;
      for (size_t i = 0; i < itch_layers.size(); ++i) {
        char type = char(expected[k].messages[i][0]);
        SCOPED_TRACE(std::string("ITCH type ") + type);
        EXPECT_EQ(itch_layers[i]->text("nasdaq-itch.message_type"), std::string("'") + type + "'");
        EXPECT_EQ(itch_layers[i]->text("nasdaq-itch.version"), "3");
        ++seen[type];
      }
    }
    EXPECT_EQ(seen.size(), itch::kMessageTypeCount);
  }
}

}  // namespace
}  // namespace colo
