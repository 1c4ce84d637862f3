#include "support/scratch_directory.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace {
std::filesystem::path scratch(std::string const& name) {
    static auto const dir = test::scratch_directory("safetensors");
    return dir / name;
}
}  // namespace

TEST_CASE("safetensors: write and read back tensors and metadata", "[io][safetensors]") {
    std::vector<float> kernel{1, 2, 3, 4, 5, 6}, bias{-1, 0.5f};
    auto path = scratch("model.safetensors");
    est::io::write_safetensors(path, {{"1_dense/kernel", {3, 2}, kernel}, {"1_dense/bias", {2}, bias}},
                               {{"global_step", "42"}});
    CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    auto content = est::io::read_safetensors(path);
    CHECK(content.metadata.at("global_step") == "42");
    CHECK(content.tensors.at("1_dense/kernel").shape == std::vector<std::size_t>{3, 2});
    CHECK(content.tensors.at("1_dense/kernel").values == kernel);
    CHECK(content.tensors.at("1_dense/bias").values == bias);

    std::ifstream in(path, std::ios::binary);  // the header length is 8-byte aligned, as the format asks
    unsigned char prefix[8];
    in.read(reinterpret_cast<char*>(prefix), 8);
    CHECK(prefix[0] % 8 == 0);
}

TEST_CASE("safetensors: truncated and corrupt files are errors naming the file", "[io][safetensors]") {
    std::vector<float> values(100, 1.0f);
    auto path = scratch("whole.safetensors");
    est::io::write_safetensors(path, {{"w", {100}, values}});
    auto size = std::filesystem::file_size(path);

    auto truncated = scratch("truncated.safetensors");
    std::filesystem::copy_file(path, truncated, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(truncated, size - 10);
    CHECK_THROWS_WITH(est::io::read_safetensors(truncated),
                      Catch::Contains("truncated.safetensors") && Catch::Contains("'w' lies outside the data"));

    auto header_cut = scratch("header-cut.safetensors");
    std::filesystem::copy_file(path, header_cut, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(header_cut, 20);
    CHECK_THROWS_WITH(est::io::read_safetensors(header_cut),
                      Catch::Contains("header-cut.safetensors") && Catch::Contains("truncated"));

    auto garbage = scratch("garbage.safetensors");
    {
        std::fstream f(garbage, std::ios::out | std::ios::binary);
        std::string bytes(64, 'x');
        bytes[0] = 16, bytes[1] = 0, bytes[2] = 0, bytes[3] = 0, bytes[4] = 0, bytes[5] = 0, bytes[6] = 0, bytes[7] = 0;
        f.write(bytes.data(), std::streamsize(bytes.size()));
    }
    CHECK_THROWS_WITH(est::io::read_safetensors(garbage), Catch::Contains("corrupt header"));
    CHECK_THROWS_WITH(est::io::read_safetensors(scratch("absent.safetensors")), Catch::Contains("cannot be opened"));
}

TEST_CASE("safetensors: a rejected write leaves the existing file as it was", "[io][safetensors]") {
    std::vector<float> first{1, 2, 3};
    auto path = scratch("kept.safetensors");
    est::io::write_safetensors(path, {{"w", {3}, first}});
    std::vector<float> wrong{1, 2};
    CHECK_THROWS_WITH(est::io::write_safetensors(path, {{"w", {3}, wrong}}),
                      Catch::Contains("has 2 values for a shape of 3"));
    CHECK(est::io::read_safetensors(path).tensors.at("w").values == first);
    CHECK_THROWS(est::io::write_safetensors("/proc/est-cannot-write-here.safetensors", {{"w", {3}, first}}));
}

TEST_CASE("safetensors: a header missing a field or with impossible sizes names the file", "[io][safetensors][fuzz]") {
    // Found by tests/fuzz/safetensors.cpp: a tensor without "data_offsets" ("data_ofFsets").
    auto missing = std::string(EST_TEST_DATA_DIR) + "/fuzz/safetensors/missing-data-offsets";
    CHECK_THROWS_WITH(est::io::read_safetensors(missing), Catch::Contains(missing) &&
                                                              Catch::Contains("has a corrupt header") &&
                                                              Catch::Contains("'data_offsets' not found"));
}
