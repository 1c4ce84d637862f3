// Definitions of est/io/safetensors.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/atomic_file.hpp>
#include <est/io/crc32c.hpp>
#include <est/io/safetensors.hpp>

#include <boost/crc.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace est::io {

EST_DECL void write_safetensors(std::filesystem::path const& path, std::vector<tensor_to_save> const& tensors,
                                std::map<std::string, std::string> const& metadata) {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    for (auto const& t : tensors) crc.process_bytes(t.values.data(), t.values.size_bytes());
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    auto all_metadata = metadata;
    all_metadata["crc32c"] = std::to_string(crc.checksum());
    header["__metadata__"] = all_metadata;
    std::uint64_t offset = 0;
    for (auto const& t : tensors) {
        std::size_t count = 1;
        for (auto d : t.shape) count *= d;
        if (count != t.values.size())
            throw error("safetensors '" + path.string() + "': tensor '" + t.name + "' has " +
                        std::to_string(t.values.size()) + " values for a shape of " + std::to_string(count));
        header[t.name] = {
            {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.values.size_bytes()}}};
        offset += t.values.size_bytes();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
    char prefix[8];
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>(std::uint64_t(text.size()) >> (8 * i));
    std::vector<std::span<char const>> chunks = {std::span<char const>(prefix, 8),
                                                 std::span<char const>(text.data(), text.size())};
    for (auto const& t : tensors)
        chunks.emplace_back(reinterpret_cast<char const*>(t.values.data()), t.values.size_bytes());
    write_file_atomically(path, chunks);
}

EST_DECL safetensors_content read_safetensors(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error("safetensors file '" + path.string() + "' cannot be opened (missing or unreadable)");
    auto fail = [&](std::string const& what) -> error {
        return error("safetensors file '" + path.string() + "' " + what);
    };
    std::uintmax_t file_size = std::filesystem::file_size(path);
    unsigned char prefix[8];
    if (!in.read(reinterpret_cast<char*>(prefix), 8))
        throw fail("is truncated: no header length");
    std::uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | prefix[i];
    if (header_size > file_size - 8)
        throw fail("is truncated or corrupt: a header of " + std::to_string(header_size) + " bytes in a file of " +
                   std::to_string(file_size));
    std::string text(header_size, '\0');
    in.read(text.data(), std::streamsize(header_size));
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text);
    } catch (nlohmann::json::exception const& e) {
        throw fail(std::string("has a corrupt header: ") + e.what());
    }
    if (!header.is_object())
        throw fail("has a corrupt header: not a JSON object");
    std::uint64_t data_size = file_size - 8 - header_size;
    std::string data(data_size, '\0');
    if (!in.read(data.data(), std::streamsize(data_size)))
        throw fail("cannot be read");
    // Sizes and offsets are non-negative integers (a float or a negative number would convert to
    // a wrong or undefined size), and a tensor's byte count is checked against the data before
    // anything is allocated for it.
    auto sizes = [&](nlohmann::json const& entry, char const* key, std::string const& name) {
        auto const& list = entry.at(key);
        if (!list.is_array() ||
            !std::all_of(list.begin(), list.end(), [](auto const& v) { return v.is_number_unsigned(); }))
            throw fail("has a corrupt header: tensor '" + name + "' has a " + key + " that is not a list of sizes");
        return list.get<std::vector<std::uint64_t>>();
    };
    safetensors_content content;
    try {
        for (auto const& [name, entry] : header.items()) {
            if (name == "__metadata__") {
                if (!entry.is_object())
                    throw fail("has a corrupt header: __metadata__ is not a JSON object");
                for (auto const& [key, value] : entry.items()) content.metadata[key] = value.get<std::string>();
                continue;
            }
            if (!entry.is_object())
                throw fail("has a corrupt header: tensor '" + name + "' is not described by a JSON object");
            if (entry.value("dtype", "") != "F32")
                throw fail("holds tensor '" + name + "' of dtype " + entry.value("dtype", "?") + "; est reads F32");
            auto shape = sizes(entry, "shape", name);
            auto offsets = sizes(entry, "data_offsets", name);
            auto outside = fail("is truncated or corrupt: tensor '" + name + "' lies outside the data");
            std::uint64_t count = std::find(shape.begin(), shape.end(), 0) != shape.end() ? 0 : 1;
            for (auto d : shape) {
                if (count && count > data_size / sizeof(float) / d)
                    throw outside;
                count *= d;
            }
            if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size ||
                offsets[1] - offsets[0] != count * sizeof(float))
                throw outside;
            saved_tensor tensor;
            tensor.shape.assign(shape.begin(), shape.end());
            tensor.values.resize(count);
            std::memcpy(tensor.values.data(), data.data() + offsets[0], count * sizeof(float));
            content.tensors.emplace(name, std::move(tensor));
        }
    } catch (nlohmann::json::exception const& e) {
        throw fail(std::string("has a corrupt header: ") + e.what());
    }
    auto const& metadata = content.metadata;
    if (auto crc = metadata.find("crc32c");
        crc != metadata.end() && crc->second != std::to_string(crc32c(data.data(), data.size())))
        throw fail("is corrupt: its data does not match its CRC-32C");
    return content;
}

}  // namespace est::io
