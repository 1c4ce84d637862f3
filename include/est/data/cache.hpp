// cache(): the first complete pass keeps every element in memory; later passes replay them
// without running the upstream pipeline again. A pass abandoned half-way caches nothing.
#pragma once

#include <est/data/dataset.hpp>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace est::data {

template <class Upstream>
class cache_dataset : public stages<cache_dataset<Upstream>> {
public:
    using element_type = typename Upstream::element_type;

    explicit cache_dataset(Upstream upstream)
        : upstream_(std::move(upstream)), cache_(std::make_shared<std::shared_ptr<std::vector<element_type> const>>()) {}

    class iterator {
    public:
        iterator(std::shared_ptr<std::vector<element_type> const> cached,
                 std::shared_ptr<std::shared_ptr<std::vector<element_type> const>> cache,
                 std::optional<typename Upstream::iterator_type> upstream)
            : cached_(std::move(cached)), cache_(std::move(cache)), upstream_(std::move(upstream)) {}
        bool next(element_type& out) {
            if (cached_) {
                if (position_ >= cached_->size())
                    return false;
                out = (*cached_)[position_++];
                return true;
            }
            if (upstream_->next(out)) {
                filling_.push_back(out);
                return true;
            }
            if (!*cache_)  // the pass is complete: later passes replay it
                *cache_ = std::make_shared<std::vector<element_type> const>(std::move(filling_));
            return false;
        }

    private:
        std::shared_ptr<std::vector<element_type> const> cached_;
        std::shared_ptr<std::shared_ptr<std::vector<element_type> const>> cache_;
        std::optional<typename Upstream::iterator_type> upstream_;
        std::vector<element_type> filling_;
        std::size_t position_ = 0;
    };
    using iterator_type = iterator;

    iterator make_iterator() const {
        if (*cache_)
            return iterator(*cache_, cache_, std::nullopt);
        return iterator(nullptr, cache_, upstream_.make_iterator());
    }

private:
    Upstream upstream_;
    std::shared_ptr<std::shared_ptr<std::vector<element_type> const>> cache_;  // shared by copies
};

}  // namespace est::data
