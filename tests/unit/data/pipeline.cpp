// The tf.data stages beyond the basics: list_files, interleave (TensorFlow's order), parallel map
// with a deterministic order for any thread count, prefetch (and its errors), filter, take, skip,
// shard, cache, zip, shuffle_and_repeat, and a full TFRecord pipeline.
#include "support/scratch_directory.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace fs = std::filesystem;
using strings = std::vector<std::string>;

est::data::file_list_dataset values(strings v) { return est::data::file_list_dataset(std::move(v), false, 0); }

template <class D>
strings drain(D const& dataset) {
    strings out;
    auto it = dataset.make_iterator();
    typename D::element_type e;
    while (it.next(e)) out.push_back(e);
    return out;
}

strings numbers(int from, int to) {
    strings out;
    for (int i = from; i <= to; ++i) out.push_back(std::to_string(i));
    return out;
}
}  // namespace

TEST_CASE("interleave: TensorFlow's order, also with parallel readers", "[data][pipeline]") {
    // tf.data.Dataset.range(1, 6).interleave(lambda x: from_tensors(x).repeat(6), cycle_length=2, block_length=4)
    strings expected = {"1", "1", "1", "1", "2", "2", "2", "2", "1", "1", "2", "2", "3", "3", "3",
                        "3", "4", "4", "4", "4", "3", "3", "4", "4", "5", "5", "5", "5", "5", "5"};
    auto six_of = [](std::string const& x) { return values(strings(6, x)); };
    for (bool parallel : {false, true}) {
        INFO("parallel " << parallel);
        auto dataset = values(numbers(1, 5)).interleave(six_of, {.cycle_length = 2, .block_length = 4, .parallel = parallel});
        CHECK(drain(dataset) == expected);
    }
}

TEST_CASE("map: parallel calls give the same sequence for any number of threads", "[data][pipeline]") {
    // Each element's work takes a random time, so workers finish out of order.
    auto work = [](std::string const& x, std::uint64_t index) {
        est::random_engine engine(est::derive_seed(7, index));
        std::this_thread::sleep_for(std::chrono::microseconds(engine.below(300)));
        return x + ":" + std::to_string(index) + ":" + std::to_string(engine.below(1000));
    };
    auto source = values(numbers(1, 200)).shuffle(50, 3, {.reshuffle_each_iteration = false});
    auto sequential = drain(source.map(work));
    REQUIRE(sequential.size() == 200);
    for (std::size_t threads : {std::size_t(2), std::size_t(4), est::data::autotune}) {
        INFO("threads " << threads);
        CHECK(drain(source.map(work, est::parallel_calls{threads})) == sequential);
        CHECK(drain(source.map(work, est::parallel_calls{threads}).prefetch(3)) == sequential);
    }
}

TEST_CASE("prefetch: same elements, produced ahead; an upstream error arrives at its element", "[data][pipeline]") {
    auto source = values(numbers(1, 100));
    CHECK(drain(source.prefetch(4)) == drain(source));
    CHECK(drain(source.prefetch(est::data::autotune)) == drain(source));

    auto failing = source.map([](std::string const& x) {
        if (x == "6")
            throw est::error("element 6 is bad");
        return x;
    });
    for (auto threads : {std::size_t(1), std::size_t(3)}) {
        auto dataset = failing.map([](std::string const& x) { return x; }, est::parallel_calls{threads}).prefetch(2);
        auto it = dataset.make_iterator();
        std::string e;
        for (int i = 1; i <= 5; ++i) REQUIRE(it.next(e));
        CHECK(e == "5");
        CHECK_THROWS_WITH(it.next(e), "element 6 is bad");
    }
    // An iterator dropped half-way stops its producer.
    auto endless = source.repeat().prefetch(2);
    for (int i = 0; i < 10; ++i) {
        auto it = endless.make_iterator();
        std::string e;
        REQUIRE(it.next(e));
    }
}

TEST_CASE("prefetch: a byte limit keeps fewer elements ahead, refilled once half of it is taken", "[data][pipeline]") {
    // Elements of about 1 KB: 10 reach a limit of 10,000 bytes long before 100 elements do.
    std::atomic<int> produced = 0;
    auto kilobyte = values(numbers(1, 200)).map([&](std::string const& x) {
        ++produced;
        return x + std::string(1000, '.');
    });
    using prefetched = est::data::prefetch_dataset<decltype(kilobyte)>;
    CHECK(drain(prefetched(kilobyte, 100, 10000)) == drain(kilobyte));

    // The producer's count once it has made `expected` elements (it holds one more than the
    // buffer), and a while after: waits as long as a loaded machine needs, and sees an overshoot.
    auto after_reaching = [&](int expected) {
        for (int polls = 0; polls < 1000 && produced < expected; ++polls)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return int(produced);
    };
    produced = 0;
    prefetched dataset(kilobyte, 100, 10000);
    auto it = dataset.make_iterator();
    CHECK(after_reaching(11) == 11);  // 10 of about 1,030 bytes fill 10,000; the 11th waits
    std::string e;
    for (int i = 0; i < 5; ++i) REQUIRE(it.next(e));
    CHECK(after_reaching(11) == 11);  // 5 left: more than half of 10,000 bytes
    REQUIRE(it.next(e));
    CHECK(after_reaching(17) == 17);  // 4 left: refilled to 10, and the next one waits
}

TEST_CASE("stage sizes: 0 is refused, -1 is autotune as in tf.data, a thread count past reason is refused",
          "[data][pipeline]") {
    using Catch::Contains;
    auto source = values(numbers(1, 100));
    auto same = [](std::string const& x) { return values({x}); };
    CHECK_THROWS_WITH(source.shuffle(0, 1), Contains("shuffle: the buffer size must be at least 1, not 0"));
    CHECK_THROWS_WITH(source.interleave(same, {.cycle_length = 0}),
                      Contains("interleave: cycle_length and block_length"));
    CHECK_THROWS_WITH(source.interleave(same, {.block_length = 0}), Contains("must be at least 1, not 1 and 0"));
    CHECK_THROWS_WITH(source.interleave(same, {.cycle_length = 5000, .parallel = true}),
                      Contains("a parallel cycle_length of 5000 asks for a thread per open dataset; at most 1024"));
    CHECK_THROWS_WITH(source.map([](std::string const& x) { return x; }, est::parallel_calls{5000}),
                      Contains("parallel_calls(5000): at most 1024 threads"));
    CHECK_THROWS_WITH(source.map([](std::string const& x) { return x; }, est::parallel_calls{std::size_t(-2)}),
                      Contains("at most 1024 threads"));

    // A shuffle buffer larger than the data holds the data (one allocation of that, not of the size).
    auto whole = drain(source.shuffle(std::numeric_limits<std::size_t>::max(), 5));
    std::sort(whole.begin(), whole.end());
    auto expected = numbers(1, 100);
    std::sort(expected.begin(), expected.end());
    CHECK(whole == expected);

    // prefetch(-1), ported from prefetch(tf.data.AUTOTUNE), buffers a few elements per core, not an
    // endless input.
    std::atomic<std::size_t> produced = 0;
    auto counted = source.repeat().map([&](std::string const& x) {
        ++produced;
        return x;
    });
    auto ahead = counted.prefetch(std::size_t(-1));
    auto it = ahead.make_iterator();
    std::string e;
    REQUIRE(it.next(e));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(produced <= 2 * std::max(2u, std::thread::hardware_concurrency()) + 2);
}

TEST_CASE("filter, take, skip, shard, cache, zip, shuffle_and_repeat", "[data][pipeline]") {
    auto source = values(numbers(0, 9));
    CHECK(drain(source.filter([](std::string const& x) { return std::stoi(x) % 3 == 0; })) ==
          strings{"0", "3", "6", "9"});
    CHECK(drain(source.take(3)) == strings{"0", "1", "2"});
    CHECK(drain(source.skip(7)) == strings{"7", "8", "9"});
    CHECK(drain(source.skip(20)).empty());
    CHECK(drain(source.shard(3, 1)) == strings{"1", "4", "7"});
    CHECK(drain(source.shard(3, 0)) == strings{"0", "3", "6", "9"});
    CHECK_THROWS_WITH(source.shard(3, 3), Catch::Contains("shard(3, 3)"));
    CHECK(drain(source.repeat(2).take(12).skip(9)) == strings{"9", "0", "1"});

    std::atomic<int> calls = 0;
    auto counted = source.map([&](std::string const& x) {
        ++calls;
        return x;
    });
    auto cached = counted.cache();
    auto half = cached.make_iterator();  // abandoned half-way: caches nothing
    std::string e;
    half.next(e);
    CHECK(drain(cached) == drain(source));
    int after_first_pass = calls;
    CHECK(drain(cached) == drain(source));
    CHECK(calls == after_first_pass);

    auto pairs = est::data::zip(source, source.skip(5));
    auto it = pairs.make_iterator();
    std::pair<std::string, std::string> p;
    std::size_t count = 0;
    while (it.next(p)) {
        CHECK(std::stoi(p.second) == std::stoi(p.first) + 5);
        ++count;
    }
    CHECK(count == 5);

    auto epochs = drain(source.shuffle_and_repeat(10, 4, 2));
    REQUIRE(epochs.size() == 20);
    strings first(epochs.begin(), epochs.begin() + 10), second(epochs.begin() + 10, epochs.end());
    CHECK(first != second);  // a new order each epoch
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    CHECK(first == second);
}

TEST_CASE("list_files: sorted or shuffled per pass; no match is an error", "[data][pipeline]") {
    auto dir = test::scratch_directory("list-files");
    for (auto name : {"train-2.tfrecord", "train-0.tfrecord", "train-1.tfrecord", "eval-0.tfrecord"})
        est::io::tfrecord_writer((dir / name).string()).flush();
    auto files = est::data::list_files((dir / "train-*.tfrecord").string());
    CHECK(drain(files) == strings{(dir / "train-0.tfrecord").string(), (dir / "train-1.tfrecord").string(),
                                  (dir / "train-2.tfrecord").string()});
    auto shuffled = est::data::list_files((dir / "train-*").string(), {.shuffle = true, .seed = 5});
    auto a = drain(shuffled), b = drain(shuffled), c = drain(shuffled);
    CHECK((a != b || b != c));
    std::sort(a.begin(), a.end());
    CHECK(a == drain(files));
    CHECK_THROWS_WITH(est::data::list_files((dir / "test-*").string()),
                      Catch::Contains("no file matches") && Catch::Contains("test-*"));
}

namespace {
/// Three TFRecord shards, part-0 to part-2, of 20 Examples each: x = (shard, i), label = 100 shard + i.
void write_example_shards(std::filesystem::path const& dir) {
    for (int shard = 0; shard < 3; ++shard) {
        est::io::tfrecord_writer out((dir / ("part-" + std::to_string(shard))).string());
        for (int i = 0; i < 20; ++i) {
            est::data::tf_example example;
            example.set("x", std::vector<float>{float(shard), float(i)});
            example.set("label", std::vector<std::int64_t>{shard * 100 + i});
            out.write(example.serialize());
        }
        out.flush();
    }
}

using xy_schema = est::data::example_schema<est::data::fixed_len<"x", float, est::shape<2>>,
                                            est::data::fixed_len<"label", std::int64_t>>;
auto parse_xy(std::string const& record) {
    using namespace est::literals;
    auto r = xy_schema::parse(record);
    return est::data::example{est::fields("x"_f = r["x"_f]), est::fields("label"_f = r["label"_f])};
}

/// Flips the bits `mask` of the byte at `position` of a file.
void flip_bits(std::string const& path, std::uint64_t position, char mask) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    char byte = 0;
    file.seekg(std::streamoff(position));
    file.read(&byte, 1);
    byte = char(byte ^ mask);
    file.seekp(std::streamoff(position));
    file.write(&byte, 1);
}

/// The labels a pipeline gives until its end or its first error (whose message goes to `message`).
template <class Dataset>
std::set<std::int64_t> labels_until_error(Dataset const& dataset, std::string& message) {
    using namespace est::literals;
    std::set<std::int64_t> seen;
    auto it = dataset.make_iterator();
    typename Dataset::element_type batch;
    try {
        while (it.next(batch))
            for (std::size_t i = 0; i < batch.labels["label"_f].batch_size(); ++i)
                seen.insert(batch.labels["label"_f].data()[i]);
    } catch (est::error const& e) {
        message = e.what();
    }
    return seen;
}

/// The shards matching `pattern` interleaved three at a time (on threads when threads > 1), each
/// record parsed by `parse` with `threads` workers.
template <class Parse>
auto parsed_shards(std::string const& pattern, Parse parse, std::size_t threads) {
    return est::data::list_files(pattern)
        .interleave([](std::string const& file) { return est::data::tfrecord_dataset({file}); },
                    {.cycle_length = 3, .parallel = threads > 1})
        .map(parse, est::parallel_calls{threads});
}
}  // namespace

TEST_CASE("a TFRecord pipeline: list_files, interleave, shuffle_and_repeat, parallel parse, batch, prefetch",
          "[data][pipeline]") {
    using namespace est::literals;
    auto dir = test::scratch_directory("pipeline-shards");
    write_example_shards(dir);
    auto pipeline = [&](std::size_t threads) {
        return est::data::list_files((dir / "part-*").string(), {.shuffle = true, .seed = 9})
            .interleave([](std::string const& file) { return est::data::tfrecord_dataset({file}); },
                        {.cycle_length = 2, .block_length = 3, .parallel = threads > 1})
            .shuffle_and_repeat(16, 2, 2)
            .map(parse_xy, est::parallel_calls{threads})
            .batch(8)
            .prefetch(2);
    };
    auto labels_of = [](auto dataset) {
        std::vector<std::int64_t> labels;
        auto it = dataset.make_iterator();
        typename decltype(dataset)::element_type batch;
        while (it.next(batch)) {
            auto const& l = batch.labels["label"_f];
            labels.insert(labels.end(), l.data(), l.data() + l.batch_size());
        }
        return labels;
    };
    auto one = labels_of(pipeline(1));
    CHECK(one.size() == 120);
    CHECK(labels_of(pipeline(2)) == one);
    CHECK(labels_of(pipeline(4)) == one);
    std::map<std::int64_t, int> seen;
    for (auto label : one) ++seen[label];
    CHECK(seen.size() == 60);
    CHECK(std::all_of(seen.begin(), seen.end(), [](auto const& entry) { return entry.second == 2; }));
}

TEST_CASE("a corrupt record in one shard stops a full pipeline at that record, naming file and offset",
          "[data][pipeline]") {
    using namespace est::literals;
    auto dir = test::scratch_directory("pipeline-corrupt");
    write_example_shards(dir);
    // Flip the first data byte of record 7 of part-1: its data CRC no longer matches.
    auto damaged = (dir / "part-1").string();
    std::uint64_t offset = 0;
    {
        est::io::tfrecord_reader reader(damaged);
        est::io::tfrecord record;
        for (int i = 0; i <= 7; ++i) REQUIRE(reader.next(record));
        offset = record.offset;
    }
    flip_bits(damaged, offset + 12, 0x40);
    for (std::size_t threads : {std::size_t(1), std::size_t(2)}) {
        INFO("threads " << threads);
        std::string message;
        auto seen = labels_until_error(parsed_shards((dir / "part-*").string(), parse_xy, threads).batch(4).prefetch(2),
                                       message);
        CHECK_THAT(message, Catch::Contains(damaged) &&
                                Catch::Contains("record 7 at byte " + std::to_string(offset) + " has corrupt data"));
        // Round-robin over the three shards: the records of part-1 before the bad one came through.
        CHECK_FALSE(seen.contains(107));
        CHECK(std::count_if(seen.begin(), seen.end(), [](std::int64_t l) { return l / 100 == 1; }) <= 7);
    }
}

namespace {
/// Image shards (3 shards of 20 examples, labels 0-59 dealt round-robin) where record 2 of shard 0
/// holds a damaged PNG in an intact record (label 6) and record 5 of shard 2 has a flipped data
/// byte (label 17). Returns the shard paths.
std::vector<std::string> damaged_image_shards(std::filesystem::path const& dir) {
    xt::xarray<std::uint8_t> images = xt::zeros<std::uint8_t>({60, 4, 4});
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = std::uint8_t(i * 13);
    xt::xarray<std::int64_t> labels = xt::arange<std::int64_t>(60);
    CHECK_THROWS_WITH(est::data::write_image_shards(images, labels, dir, "train", 61),
                      Catch::Contains("61 shards for 60 images; at most one shard an image"));
    CHECK(std::filesystem::is_empty(dir));  // refused before any file is made
    auto shards = est::data::write_image_shards(images, labels, dir, "train", 3);
    auto rewrite = [](std::string const& path, auto change) {
        std::vector<std::string> records;
        {
            est::io::tfrecord_reader reader(path);
            est::io::tfrecord record;
            while (reader.next(record)) records.push_back(record.data);
        }
        change(records);
        est::io::tfrecord_writer out(path);
        for (auto const& r : records) out.write(r);
        out.flush();
    };
    rewrite(shards[0], [](std::vector<std::string>& records) {
        auto example = est::data::tf_example::parse(records[2]);
        auto png = est::io::encode_png(std::vector<std::uint8_t>(16, 7), 4, 4, 1);
        example.set("image/encoded", std::vector<std::string>{png.substr(0, png.size() - 20)});
        records[2] = example.serialize();
    });
    est::io::tfrecord_reader reader(shards[2]);
    est::io::tfrecord record;
    for (int i = 0; i <= 5; ++i) reader.next(record);
    flip_bits(shards[2], record.offset + 14, 0x10);
    return shards;
}

auto parse_image(std::string const& record) {
    using namespace est::literals;
    auto parsed = est::data::image_example_schema::parse(record);
    auto image = est::data::to_float(est::data::decode_png(parsed, "image/encoded"_f, 1));
    return est::data::example{est::fields("image"_f = est::data::to_example<est::shape<4, 4, 1>>(image)),
                              est::fields("label"_f = std::int32_t(parsed["image/class/label"_f]))};
}

}  // namespace

TEST_CASE("a damaged PNG in an intact record fails in decoding, naming file, record and feature",
          "[data][pipeline]") {
    auto dir = test::scratch_directory("damaged-png");
    auto shards = damaged_image_shards(dir);
    for (std::size_t threads : {std::size_t(1), std::size_t(2)}) {
        INFO("threads " << threads);
        auto dataset = parsed_shards((dir / "train-*").string(), parse_image, threads).batch(4).prefetch(2);
        std::string message;
        auto seen = labels_until_error(dataset, message);
        CHECK_THAT(message, Catch::Contains("TFRecord file '" + shards[0] + "': record 2 at byte") &&
                                Catch::Contains("feature 'image/encoded': decode_png"));
        CHECK_FALSE(seen.contains(6));
    }
}

TEST_CASE("ignore_errors: corrupt records and undecodable images are dropped and counted", "[data][pipeline]") {
    auto dir = test::scratch_directory("ignore-errors");
    auto shards = damaged_image_shards(dir);
    std::set<std::int64_t> expected;
    for (std::int64_t label = 0; label < 60; ++label)
        if (label != 6 && label != 17)
            expected.insert(label);
    for (std::size_t threads : {std::size_t(1), std::size_t(2)}) {
        INFO("threads " << threads);
        std::atomic<std::uint64_t> dropped{0};
        auto dataset = parsed_shards((dir / "train-*").string(), parse_image, threads)
                           .ignore_errors({.count = &dropped})
                           .batch(4)
                           .prefetch(2);
        std::string message;
        CHECK(labels_until_error(dataset, message) == expected);
        CHECK(message.empty());
        CHECK(dropped == 2);
    }
    // Right after the reader: a record whose data does not match its CRC is dropped, the rest read.
    auto records = est::data::tfrecord_dataset({shards[2]}).ignore_errors();
    auto it = records.make_iterator();
    est::data::tfrecord_dataset::element_type record;
    std::vector<std::uint64_t> indices;
    while (it.next(record)) indices.push_back(record.index);
    CHECK(indices == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
    CHECK(it.ignored() == 1);
}

TEST_CASE("padded_batch: variable-length features padded to the longest in each batch", "[data][pipeline]") {
    using namespace est::literals;
    using schema = est::data::example_schema<est::data::var_len<"tokens", std::int64_t>,
                                             est::data::fixed_len<"label", std::int64_t>>;
    strings serialized;
    for (int i = 0; i < 5; ++i) {
        est::data::tf_example e;
        e.set("tokens", std::vector<std::int64_t>(std::size_t(i), i));
        e.set("label", std::vector<std::int64_t>{i});
        serialized.push_back(e.serialize());
    }
    auto parse = [](std::string const& record) {
        auto r = schema::parse(record);
        return est::data::example{est::fields("tokens"_f = r["tokens"_f]), est::fields("label"_f = r["label"_f])};
    };
    auto dataset = values(serialized).map(parse).padded_batch(3, {.padding = -1.0});
    auto it = dataset.make_iterator();
    decltype(dataset)::element_type batch;
    REQUIRE(it.next(batch));
    auto const& tokens = batch.features["tokens"_f];
    CHECK(tokens.lengths == std::vector<std::size_t>{0, 1, 2});
    CHECK(tokens.values.shape()[0] == 3);
    CHECK(tokens.values.shape()[1] == 2);
    CHECK(tokens.values(0, 0) == -1);
    CHECK(tokens.values(1, 0) == 1);
    CHECK(tokens.values(1, 1) == -1);
    CHECK(tokens.values(2, 1) == 2);
    CHECK(batch.labels["label"_f].batch_size() == 3);
    CHECK(batch.labels["label"_f].data()[2] == 2);
    REQUIRE(it.next(batch));
    CHECK(batch.features["tokens"_f].lengths == std::vector<std::size_t>{3, 4});
    CHECK(batch.features["tokens"_f].values.shape()[1] == 4);
    CHECK(batch.labels["label"_f].batch_size() == 2);
    CHECK_FALSE(it.next(batch));

    // As batch(): a size of zero is refused, and a size past the data gives one short batch.
    CHECK_THROWS_WITH(values(serialized).map(parse).padded_batch(0),
                      Catch::Contains("padded_batch: the batch size must be at least 1, not 0"));
    auto whole = values(serialized).map(parse).padded_batch(std::numeric_limits<std::size_t>::max());
    auto all = whole.make_iterator();
    decltype(whole)::element_type five;
    REQUIRE(all.next(five));
    CHECK(five.features["tokens"_f].lengths == std::vector<std::size_t>{0, 1, 2, 3, 4});
    CHECK(five.features["tokens"_f].values(4, 3) == 4);
    CHECK(five.labels["label"_f].data()[4] == 4);
    CHECK_FALSE(all.next(five));
    // A padding that the field's integer type cannot hold is refused, not converted (undefined).
    for (double padding : {1e30, -0.5}) {
        auto unfit = values(serialized).map(parse).padded_batch(2, {.padding = padding});
        auto unfit_it = unfit.make_iterator();
        CHECK_THROWS_WITH(unfit_it.next(five), Catch::Contains("is not a value of the field's 64-bit integer type"));
    }
}
