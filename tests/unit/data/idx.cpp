#include "support/scratch_directory.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace {
std::filesystem::path scratch(std::string const& name) {
    static auto const dir = test::scratch_directory("idx");
    return dir / name;
}

std::vector<unsigned char> idx_bytes(std::uint8_t type, std::vector<std::uint32_t> dims,
                                     std::vector<unsigned char> data) {
    std::vector<unsigned char> bytes{0, 0, type, std::uint8_t(dims.size())};
    for (auto d : dims)
        for (int shift : {24, 16, 8, 0}) bytes.push_back(std::uint8_t(d >> shift));
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

std::string write_plain(std::string const& name, std::vector<unsigned char> const& bytes) {
    auto path = scratch(name);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<char const*>(bytes.data()), std::streamsize(bytes.size()));
    return path.string();
}

std::string write_gzip(std::string const& name, std::vector<unsigned char> const& bytes) {
    auto path = scratch(name).string();
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
    return path;
}
}  // namespace

TEST_CASE("idx: reads plain and gzip files", "[data][idx]") {
    auto bytes = idx_bytes(0x08, {2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    for (auto const& path : {write_plain("images.idx", bytes), write_gzip("images.idx.gz", bytes)}) {
        auto t = est::data::read_idx<std::uint8_t>(path);
        REQUIRE(t.dimension() == 3);
        CHECK(t.shape()[2] == 3);
        CHECK(t(1, 1, 2) == 11);
    }
    auto floats = idx_bytes(0x0D, {1}, {0x3F, 0x80, 0x00, 0x00});  // big-endian 1.0f
    CHECK(est::data::read_idx<float>(write_plain("float.idx", floats))(0) == 1.0f);
}

TEST_CASE("idx: bad files are errors that name the file", "[data][idx]") {
    auto missing = scratch("does-not-exist.idx").string();
    CHECK_THROWS_WITH(est::data::read_idx<std::uint8_t>(missing),
                      Catch::Contains(missing) && Catch::Contains("cannot be opened"));

    auto wrong_magic = write_plain("magic.idx", {1, 2, 8, 1, 0, 0, 0, 1, 5});
    CHECK_THROWS_WITH(est::data::read_idx<std::uint8_t>(wrong_magic),
                      Catch::Contains("magic.idx") && Catch::Contains("wrong magic"));

    auto wrong_type = write_plain("type.idx", idx_bytes(0x0C, {1}, {0, 0, 0, 1}));
    CHECK_THROWS_WITH(est::data::read_idx<std::uint8_t>(wrong_type),
                      Catch::Contains("type.idx") && Catch::Contains("type code 12"));

    auto truncated = idx_bytes(0x08, {2, 2, 3}, {0, 1, 2, 3, 4});
    for (auto const& path : {write_plain("short.idx", truncated), write_gzip("short.idx.gz", truncated)})
        CHECK_THROWS_WITH(est::data::read_idx<std::uint8_t>(path),
                          Catch::Contains(path) && Catch::Contains("truncated"));

    auto images = write_plain("three-images.idx", idx_bytes(0x08, {3, 1, 1}, {1, 2, 3}));
    auto labels = write_plain("two-labels.idx", idx_bytes(0x08, {2}, {0, 1}));
    CHECK_THROWS_WITH(est::data::read_idx_split(images, labels), Catch::Contains("three-images.idx") &&
                                                                     Catch::Contains("two-labels.idx") &&
                                                                     Catch::Contains("do not match"));
}

TEST_CASE("idx: a shape the file cannot hold is an error, not an allocation", "[data][idx][fuzz]") {
    // Found by tests/fuzz/idx.cpp: float data of shape 2x2x858663x876695131 in a 28-byte file.
    auto path = std::string(EST_TEST_DATA_DIR) + "/fuzz/idx/huge-shape";
    CHECK_THROWS_WITH(est::data::read_idx<float>(path),
                      Catch::Contains(path) && Catch::Contains("its shape 2x2x858663x876695131 needs more than the 8 "
                                                               "bytes of data the file can hold"));
    std::ifstream in(path, std::ios::binary);
    auto gz = write_gzip("huge-shape.gz", {std::istreambuf_iterator<char>(in), {}});
    CHECK_THROWS_WITH(est::data::read_idx<float>(gz),
                      Catch::Contains(gz) && Catch::Contains("truncated or corrupt: its shape 2x2x858663x876695131"));
    // And an empty tensor (a zero dimension) whose other dimensions overflow its strides.
    auto strides = std::string(EST_TEST_DATA_DIR) + "/fuzz/idx/empty-huge-strides";
    CHECK_THROWS_WITH(
        est::data::read_idx<double>(strides),
        Catch::Contains(strides) && Catch::Contains("its shape 0x131072x4167431x3288235776 is too large"));
}
