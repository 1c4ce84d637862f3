// Owning arrays in a back end's memory: the parameter and gradient arenas, optimizer state and the
// workspaces of layers. They only grow, so a steady training step allocates nothing.
#pragma once

#include <cstddef>
#include <utility>

namespace est {

/// An owning array of `T` in back end `B`'s memory (`B::allocate`). `reserve`/`resize` to a size it
/// had before keeps the storage; growing replaces it, and the values are not kept.
template <class T, class B>
class buffer {
public:
    using value_type = T;
    using backend_type = B;

    buffer() = default;
    explicit buffer(std::size_t size) { resize(size); }
    buffer(buffer const&) = delete;
    buffer& operator=(buffer const&) = delete;
    buffer(buffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0)) {}
    buffer& operator=(buffer&& other) noexcept {
        if (this != &other) {
            release();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            capacity_ = std::exchange(other.capacity_, 0);
        }
        return *this;
    }
    ~buffer() { release(); }

    /// Makes the buffer hold `size` values.
    void resize(std::size_t size) {
        if (size > capacity_) {
            release();
            data_ = static_cast<T*>(B::allocate(size * sizeof(T)));
            capacity_ = size;
        }
        size_ = size;
    }

    T* data() { return data_; }
    T const* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    void release() {
        if (data_)
            B::deallocate(data_, capacity_ * sizeof(T));
        data_ = nullptr;
        size_ = capacity_ = 0;
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace est
