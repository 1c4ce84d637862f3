// Reads back the summaries of TensorBoard event files that est wrote (tests check tags and steps
// here; tests/tensorboard checks the same files with TensorBoard's own loader).
#pragma once

#include <est/io/protobuf_wire.hpp>
#include <est/io/tfrecord.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace test {

struct summary {
    std::int64_t step = 0;
    std::string tag;
    std::string kind;  ///< "scalar", "image" or "histogram"
    float value = 0.0f;
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
                        summary s{step, "", "", 0.0f};
                        while (value.next_field(number, type)) {
                            if (number == 1)
                                s.tag = std::string(value.bytes());
                            else if (number == 2)
                                s.kind = "scalar", s.value = value.float32();
                            else if (number == 4)
                                s.kind = "image", value.skip(type);
                            else if (number == 5)
                                s.kind = "histogram", value.skip(type);
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
