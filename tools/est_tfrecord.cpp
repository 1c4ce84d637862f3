// est_tfrecord: what to reach for when a TFRecord pipeline misbehaves.
//
//   est_tfrecord inspect [--compression none|gzip|zlib] FILE...   every record as JSON Lines
//   est_tfrecord count   [--compression ...] FILE...              records per file, and the total
//   est_tfrecord verify  [--compression ...] FILE...              check every CRC; exit 1 at the first bad record
//   est_tfrecord from-idx [--shards N] [--compression ...] DATA_DIR SPLIT OUTPUT_DIR
//        converts an (Fashion-)MNIST IDX split ("train", "t10k") into OUTPUT_DIR/SPLIT-0000i-of-0000N.tfrecord:
//        tf.train.Examples of PNG images and int64 labels ("image/encoded", "image/class/label",
//        "image/format", "image/height", "image/width", "image/channels"), examples dealt round-robin
//
// Compression is detected from the file unless given.
#include <est/data/idx.hpp>
#include <est/data/image_shards.hpp>
#include <est/data/tf_example.hpp>
#include <est/io/tfrecord.hpp>

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

std::string base64(std::string const& bytes) {
    using namespace boost::archive::iterators;
    using encoder = base64_from_binary<transform_width<std::string::const_iterator, 6, 8>>;
    std::string out(encoder(bytes.begin()), encoder(bytes.end()));
    out.append((3 - bytes.size() % 3) % 3, '=');
    return out;
}

nlohmann::ordered_json features_json(est::data::tf_example const& example) {
    nlohmann::ordered_json features = nlohmann::ordered_json::object();
    for (auto const& [name, f] : example.features) {
        nlohmann::ordered_json values = nlohmann::ordered_json::array();
        switch (f.type) {
            case est::data::feature::kind::bytes_list:
                for (auto const& b : f.bytes) values.push_back(base64(b));
                break;
            case est::data::feature::kind::float_list:
                for (float v : f.floats) values.push_back(double(v));  // a float is exact as a double
                break;
            case est::data::feature::kind::int64_list:
                for (auto v : f.int64s) values.push_back(v);
                break;
            case est::data::feature::kind::none:
                break;
        }
        features[name] = {{"type", f.type_name()}, {"values", values}};
    }
    return features;
}

[[noreturn]] void usage(std::string const& problem) {
    std::cerr << "est_tfrecord: " << problem << "\n"
              << "usage: est_tfrecord inspect|count|verify [--compression none|gzip|zlib] FILE...\n"
              << "       est_tfrecord from-idx [--shards N] [--compression none|gzip|zlib] DATA_DIR SPLIT OUTPUT_DIR\n";
    std::exit(2);
}

/// Writes an IDX split as sharded TFRecords of PNG-encoded images and their labels.
int from_idx(std::vector<std::string> const& args, std::size_t shards, est::io::compression compression) {
    if (args.size() != 3)
        usage("from-idx needs DATA_DIR SPLIT OUTPUT_DIR");
    if (shards == 0)
        usage("--shards must be positive");
    auto data = est::data::read_mnist(args[0], args[1]);
    auto paths = est::data::write_image_shards(
        data.images, data.labels, args[2], args[1], shards,
        compression == est::io::compression::detect ? est::io::compression::none : compression);
    for (auto const& path : paths) std::cout << path << '\n';
    std::cout << data.labels.size() << " examples in " << shards << " shards\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        usage("missing command");
    std::string_view command = argv[1];
    if (command != "inspect" && command != "count" && command != "verify" && command != "from-idx")
        usage("unknown command '" + std::string(command) + "'");
    est::io::compression compression = est::io::compression::detect;
    std::vector<std::string> files;
    std::size_t shards = 4;
    for (int i = 2; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--shards" && command == "from-idx") {
            if (++i == argc)
                usage("--shards needs a number");
            std::string_view value = argv[i];
            auto [end, failure] = std::from_chars(value.data(), value.data() + value.size(), shards);
            if (failure != std::errc{} || end != value.data() + value.size())
                usage("--shards needs a whole number, not '" + std::string(value) + "'");
        } else if (arg == "--compression") {
            if (++i == argc)
                usage("--compression needs none, gzip or zlib");
            std::string_view c = argv[i];
            compression = c == "none"   ? est::io::compression::none
                          : c == "gzip" ? est::io::compression::gzip
                          : c == "zlib" ? est::io::compression::zlib
                                        : (usage("--compression needs none, gzip or zlib"), compression);
        } else {
            files.emplace_back(arg);
        }
    }
    if (command == "from-idx") {
        try {
            return from_idx(files, shards, compression);
        } catch (est::error const& e) {
            std::cerr << "est_tfrecord: " << e.what() << '\n';
            return 1;
        }
    }
    if (files.empty())
        usage("no file given");

    std::uint64_t total = 0;
    for (auto const& file : files) {
        try {
            est::io::tfrecord_reader reader(file, compression);
            est::io::tfrecord record;
            std::uint64_t count = 0;
            while (reader.next(record)) {
                ++count;
                if (command != "inspect")
                    continue;
                nlohmann::ordered_json line = {
                    {"file", file}, {"index", record.index}, {"offset", record.offset}, {"length", record.data.size()}};
                line["features"] = features_json(est::data::tf_example::parse(record.data));
                std::cout << line.dump() << '\n';
            }
            total += count;
            if (command == "count")
                std::cout << count << ' ' << file << '\n';
            else if (command == "verify")
                std::cout << "ok " << count << " records " << file << '\n';
        } catch (est::error const& e) {
            std::cout.flush();
            std::cerr << "est_tfrecord: " << e.what() << '\n';
            return 1;
        }
    }
    if (command == "count" && files.size() > 1)
        std::cout << total << " total\n";
    return 0;
}
