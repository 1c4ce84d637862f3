// Checkpoints in model_dir: `ckpt-<global step>.safetensors` files holding every parameter
// (tensor names "<layer>/<parameter>"), the optimizer state ("optimizer/<layer>/<parameter>/<slot>"),
// and in the metadata the global step and the model's description; plus `checkpoint_index.json`,
// which lists the kept checkpoints and names the latest. Every file is written to a temporary name,
// fsynced and renamed, so a crash leaves the previous checkpoint as the latest.
#pragma once

#include <est/core/error.hpp>
#include <est/io/safetensors.hpp>
#include <est/nn/layer.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace est {

/// One kept checkpoint.
struct checkpoint_entry {
    std::string file;  ///< relative to model_dir
    std::uint64_t global_step = 0;
};

/// The kept checkpoints of a model_dir, oldest first; the last one is the latest.
class checkpoint_index {
public:
    explicit checkpoint_index(std::filesystem::path model_dir) : model_dir_(std::move(model_dir)) {
        auto path = index_path();
        if (!std::filesystem::exists(path))
            return;
        try {
            auto json = nlohmann::json::parse(std::ifstream(path));
            for (auto const& c : json.at("checkpoints"))
                entries_.push_back({c.at("file").get<std::string>(), c.at("global_step").get<std::uint64_t>()});
        } catch (nlohmann::json::exception const& e) {
            throw error("checkpoint index '" + path.string() + "' is corrupt: " + e.what());
        }
    }

    std::vector<checkpoint_entry> const& entries() const { return entries_; }
    std::filesystem::path path_of(checkpoint_entry const& e) const { return model_dir_ / e.file; }

    /// Records a new latest checkpoint and deletes the oldest beyond `keep_max` (0 keeps all).
    void add(checkpoint_entry entry, std::uint64_t keep_max) {
        std::erase_if(entries_, [&](checkpoint_entry const& e) { return e.file == entry.file; });
        entries_.push_back(std::move(entry));
        std::vector<checkpoint_entry> dropped;
        while (keep_max && entries_.size() > keep_max) {
            dropped.push_back(entries_.front());
            entries_.erase(entries_.begin());
        }
        save();
        for (auto const& e : dropped) {  // only once the index no longer names them
            std::error_code ignored;
            std::filesystem::remove(path_of(e), ignored);
        }
    }

private:
    std::filesystem::path index_path() const { return model_dir_ / "checkpoint_index.json"; }

    void save() const {
        nlohmann::ordered_json json;
        json["latest"] = entries_.empty() ? "" : entries_.back().file;
        json["checkpoints"] = nlohmann::ordered_json::array();
        for (auto const& e : entries_)
            json["checkpoints"].push_back({{"file", e.file}, {"global_step", e.global_step}});
        auto temporary = index_path();
        temporary += ".tmp";
        {
            std::ofstream out(temporary);
            out << json.dump(2) << '\n';
            out.flush();
            if (!out)
                throw error("cannot write checkpoint index '" + temporary.string() + "'");
        }
        std::filesystem::rename(temporary, index_path());
    }

    std::filesystem::path model_dir_;
    std::vector<checkpoint_entry> entries_;
};

/// Names and values of everything a checkpoint holds of a model.
template <class Net>
std::vector<io::tensor_to_save> model_tensors(Net& net) {
    std::vector<io::tensor_to_save> tensors;
    net.for_each_parameter([&](std::string_view layer, parameter_ref const& p) {
        tensors.push_back({std::string(layer) + "/" + std::string(p.name), {p.value.size()}, p.value});
    });
    return tensors;
}

/// The names of the trainable parameters, in the order optimizers index their state.
template <class Net>
std::vector<std::string> trainable_names(Net& net) {
    std::vector<std::string> names;
    net.for_each_parameter([&](std::string_view layer, parameter_ref const& p) {
        if (p.trainable)
            names.push_back(std::string(layer) + "/" + std::string(p.name));
    });
    return names;
}

/// Copies a checkpoint's parameters into `net`; every parameter must be there with its size.
template <class Net>
void restore_model(Net& net, io::safetensors_content const& content, std::filesystem::path const& file) {
    net.for_each_parameter([&](std::string_view layer, parameter_ref const& p) {
        std::string name = std::string(layer) + "/" + std::string(p.name);
        auto it = content.tensors.find(name);
        if (it == content.tensors.end() || it->second.values.size() != p.value.size())
            throw error("checkpoint '" + file.string() + "' lacks parameter '" + name + "' of " +
                        std::to_string(p.value.size()) + " values");
        std::copy(it->second.values.begin(), it->second.values.end(), p.value.begin());
    });
}

}  // namespace est
