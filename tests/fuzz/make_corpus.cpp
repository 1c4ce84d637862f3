// Writes the fuzz seed corpora (tests/fuzz/corpus/<target>/*): files made with est's own writers
// and libjpeg (gen-*), and records cut from the TFRecord fixtures in tests/data (data-*). Run from
// the repository root after a format change, then commit what changed:
//   g++ -std=c++20 -Iinclude -Itests tests/fuzz/make_corpus.cpp -o make_corpus -lz -lpng -ldeflate -ljpeg
//   ./make_corpus tests/fuzz/corpus tests/data
#include <est/data/tf_example.hpp>
#include <est/estimator/checkpoint.hpp>
#include <est/estimator/run_config.hpp>
#include <est/io/event_writer.hpp>
#include <est/io/png.hpp>
#include <est/io/safetensors.hpp>
#include <est/io/tfrecord.hpp>

#include <cstdio>

#include <jpeglib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {
fs::path root;

std::string read(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
void write(std::string const& target, std::string const& name, std::string const& bytes) {
    fs::create_directories(root / target);
    auto file = name.starts_with("data-") ? name : "gen-" + name;
    std::ofstream(root / target / file, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

std::vector<std::uint8_t> gradient(std::size_t height, std::size_t width, std::size_t channels) {
    std::vector<std::uint8_t> pixels(height * width * channels);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 37 % 256);
    return pixels;
}

std::string encode_jpeg(std::size_t height, std::size_t width, bool rgb, bool progressive) {
    jpeg_compress_struct info{};
    jpeg_error_mgr error{};
    info.err = jpeg_std_error(&error);
    jpeg_create_compress(&info);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&info, &buffer, &size);
    info.image_width = JDIMENSION(width);
    info.image_height = JDIMENSION(height);
    info.input_components = rgb ? 3 : 1;
    info.in_color_space = rgb ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, 75, TRUE);
    if (progressive)
        jpeg_simple_progression(&info);
    jpeg_start_compress(&info, TRUE);
    auto pixels = gradient(height, width, rgb ? 3 : 1);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = pixels.data() + std::size_t(info.next_scanline) * width * (rgb ? 3 : 1);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    std::string out(reinterpret_cast<char*>(buffer), size);
    jpeg_destroy_compress(&info);
    std::free(buffer);
    return out;
}

std::string idx(std::uint8_t type, std::vector<std::uint32_t> dims, std::size_t element_size) {
    std::string out = {0, 0, char(type), char(dims.size())};
    std::size_t count = 1;
    for (auto d : dims) {
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char(d >> shift));
        count *= d;
    }
    for (std::size_t i = 0; i < count * element_size; ++i) out.push_back(char(i * 13 % 251));
    return out;
}

std::string gzip(std::string const& bytes) {
    auto path = root / "tmp.gz";
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
    auto out = read(path);
    fs::remove(path);
    return out;
}

/// The first `count` records of a TFRecord file.
std::vector<std::string> first_records(fs::path const& path, std::size_t count) {
    est::io::tfrecord_reader reader(path.string());
    est::io::tfrecord record;
    std::vector<std::string> out;
    while (out.size() < count && reader.next(record)) out.push_back(record.data);
    return out;
}

std::string records(std::vector<std::string> const& records) {
    auto path = root / "tmp.tfrecord";
    {
        est::io::tfrecord_writer writer(path.string());
        for (auto const& r : records) writer.write(r);
    }
    auto out = read(path);
    fs::remove(path);
    return out;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: make_corpus CORPUS_DIR TEST_DATA_DIR\n";
        return 2;
    }
    root = argv[1];
    fs::path const fixtures = fs::path(argv[2]) / "tfrecord";
    using est::data::tf_example;

    // png: first byte = requested channels (0 as stored).
    write("png", "gray-4x4", std::string(1, '\0') + est::io::encode_png(gradient(4, 4, 1), 4, 4, 1));
    write("png", "rgb-3x5-as-gray", std::string(1, '\1') + est::io::encode_png(gradient(3, 5, 3), 3, 5, 3));
    write("png", "rgba-8x2-as-rgb", std::string(1, '\3') + est::io::encode_png(gradient(8, 2, 4), 8, 2, 4));

    // jpeg: first byte = requested channels (0 as stored, 1 gray, 2 RGB).
    write("jpeg", "gray-8x8", std::string(1, '\0') + encode_jpeg(8, 8, false, false));
    write("jpeg", "rgb-16x16-as-gray", std::string(1, '\1') + encode_jpeg(16, 16, true, false));
    write("jpeg", "rgb-progressive-12x20", std::string(1, '\2') + encode_jpeg(12, 20, true, true));

    // idx: every element type, one gzip-compressed.
    write("idx", "u8-2x3x4", idx(0x08, {2, 3, 4}, 1));
    write("idx", "i16-5", idx(0x0B, {5}, 2));
    write("idx", "f32-2x2", idx(0x0D, {2, 2}, 4));
    write("idx", "f64-1x1x1x2", idx(0x0E, {1, 1, 1, 2}, 8));
    write("idx", "u8-labels.gz", gzip(idx(0x08, {10}, 1)));

    // safetensors: with and without extra metadata.
    std::vector<float> kernel = {1, 2, 3, 4, 5, 6}, bias = {0.5f, -0.5f};
    auto tmp = root / "tmp.safetensors";
    est::io::write_safetensors(tmp, {{"dense/kernel", {2, 3}, kernel}, {"dense/bias", {2}, bias}},
                               {{"global_step", "100"}});
    write("safetensors", "two-tensors", read(tmp));
    est::io::write_safetensors(tmp, {{"scalar", {}, std::span<float const>(bias.data(), 1)}});
    write("safetensors", "scalar", read(tmp));
    fs::remove(tmp);

    // checkpoint_index and run_json: as the estimator writes them.
    auto model_dir = root / "tmp-model";
    fs::create_directories(model_dir);
    {
        est::checkpoint_index index(model_dir);
        index.add({"ckpt-100.safetensors", 100, {}}, 5);
        index.add({"ckpt-200.safetensors", 200, {{"loss", 0.25}, {"accuracy", 0.9}, {"global_step", 200}}}, 5);
        index.add({"ckpt-300.safetensors", 300, {}}, 5);
    }
    write("checkpoint_index", "three", read(model_dir / "checkpoint_index.json"));
    est::run_config config{.model_dir = model_dir.string(), .seed = 42};
    config.scaffold.warm_start = est::warm_start_settings{"other/ckpt-1.safetensors", "dense/.*"};
    config.best_checkpoint = {"accuracy", est::goal::higher};
    est::detail::write_run_description(config, std::nullopt,
                                       {{{0, "input", {4}, 0, 0}, {1, "dense", {2}, 10, 8}}, 10, 8});
    write("run_json", "warm-start", read(model_dir / "run.json"));
    fs::remove_all(model_dir);

    // events: a file as est's event_writer writes it.
    auto events_dir = root / "tmp-events";
    {
        est::io::event_writer events(events_dir);
        events.scalar("loss", 0.5f, 1);
        events.scalar("accuracy", 0.75f, 2);
        events.image("input", est::io::encode_png(gradient(2, 2, 1), 2, 2, 1), 2, 2, 1, 3);
        std::vector<float> values = {-1, 0, 0.5f, 2};
        events.histogram("dense/kernel", values, 4);
        events.flush();
    }
    for (auto const& entry : fs::directory_iterator(events_dir)) write("events", "writer", read(entry.path()));
    fs::remove_all(events_dir);

    // tf_example: features the fuzz target's schemas read, of each kind.
    tf_example example;
    example.set("label", std::vector<std::int64_t>{3})
        .set("weight", std::vector<float>{0.5f})
        .set("image/encoded", std::vector<std::string>{"\x89PNG"})
        .set("image", std::vector<float>{1, 2, 3, 4})
        .set("ids", std::vector<std::int64_t>{7, -1, 1LL << 40})
        .set("values", std::vector<float>{0.25f})
        .set("tags", std::vector<std::string>{"a", "bc"});
    write("tf_example", "schema-features", example.serialize());
    tf_example wrong;
    wrong.set("label", std::vector<float>{1}).set("image", std::vector<float>{1, 2, 3});
    write("tf_example", "wrong-kinds", wrong.serialize());

    // tfrecord: first byte = mode (0 plain, 1 detect, 4 gzip it, 5 zlib it; see tfrecord.cpp).
    std::string framed = records({example.serialize(), "", wrong.serialize()});
    write("tfrecord", "plain-3", std::string(1, '\0') + framed);
    write("tfrecord", "gzip-3", std::string(1, '\4') + framed);
    write("tfrecord", "zlib-3", std::string(1, '\5') + framed);

    // From the fixtures: a GZIP file whole, an empty ZLIB file, a file with a flipped data byte, and
    // the first records of the others (their Examples feed tf_example too).
    auto penguin = fixtures / "tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz";
    write("tfrecord", "data-penguin-gzip", std::string(1, '\1') + read(penguin));
    write("tfrecord", "data-empty-zlib", std::string(1, '\1') + read(fixtures / "baskerville_mm10_train-7_empty.tfr"));
    write("tfrecord", "data-corrupt",
          std::string(1, '\0') + read(fixtures / "corrupt/penguin-record-1-data-flipped.tfrecord"));
    auto mnist = first_records(fixtures / "tfx_mnist.tfrecord", 1);
    write("tfrecord", "data-mnist-1", std::string(1, '\0') + records(mnist));
    auto penguins = first_records(penguin, 2);
    write("tf_example", "data-penguin-0", penguins[0]);
    write("tf_example", "data-penguin-1", penguins[1]);
    write("tf_example", "data-mnist-0", mnist[0]);
    return 0;
}
