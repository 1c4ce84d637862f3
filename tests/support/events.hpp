// Reads back the summaries of TensorBoard event files that est wrote (tests check tags and steps
// here; tests/tensorboard checks the same files with TensorBoard's own loader).
#pragma once

#include <est/io/protobuf_wire.hpp>
#include <est/io/tfrecord.hpp>

#include <bit>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace test {

/// A HistogramProto.
struct histogram {
    double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
    std::vector<double> limits, counts;
};

inline histogram read_histogram(std::string_view bytes) {
    using namespace est::io::protobuf;
    auto doubles = [](std::string_view packed) {
        std::vector<double> out(packed.size() / 8);
        std::memcpy(out.data(), packed.data(), out.size() * 8);
        return out;
    };
    histogram h;
    reader fields(bytes);
    std::uint32_t number;
    wire_type type;
    while (fields.next_field(number, type)) {
        if (number >= 1 && number <= 5) {
            double v = std::bit_cast<double>(fields.fixed64());
            (number == 1 ? h.min : number == 2 ? h.max : number == 3 ? h.num : number == 4 ? h.sum : h.sum_squares) = v;
        } else if (number == 6 || number == 7) {
            (number == 6 ? h.limits : h.counts) = doubles(fields.bytes());
        } else {
            fields.skip(type);
        }
    }
    return h;
}

struct summary {
    std::int64_t step = 0;
    std::string tag;
    std::string kind;  ///< "scalar", "image" or "histogram"
    float value = 0.0f;
    test::histogram histogram;  ///< of a "histogram"
};

/// Every summary value of every event file directly in `directory`.
inline std::vector<summary> read_summaries(std::filesystem::path const& directory) {
    using namespace est::io::protobuf;
    std::vector<summary> out;
    for (auto const& entry : std::filesystem::directory_iterator(directory)) {
        if (entry.path().filename().string().rfind("events.out.tfevents.", 0) != 0)
            continue;
        est::io::tfrecord_reader file(entry.path().string());
        est::io::tfrecord record;
        while (file.next(record)) {
            reader event(record.data);
            std::uint32_t number;
            wire_type type;
            std::int64_t step = 0;
            while (event.next_field(number, type)) {
                if (number == 2 && type == wire_type::varint) {
                    step = std::int64_t(event.varint());
                } else if (number == 5 && type == wire_type::length_delimited) {
                    reader summary_message(event.bytes());
                    while (summary_message.next_field(number, type)) {
                        if (number != 1) {
                            summary_message.skip(type);
                            continue;
                        }
                        reader value(summary_message.bytes());
                        summary s{step, "", "", 0.0f, {}};
                        while (value.next_field(number, type)) {
                            if (number == 1)
                                s.tag = std::string(value.bytes());
                            else if (number == 2)
                                s.kind = "scalar", s.value = value.float32();
                            else if (number == 4)
                                s.kind = "image", value.skip(type);
                            else if (number == 5)
                                s.kind = "histogram", s.histogram = read_histogram(value.bytes());
                            else
                                value.skip(type);
                        }
                        out.push_back(s);
                    }
                } else {
                    event.skip(type);
                }
            }
        }
    }
    return out;
}

}  // namespace test
