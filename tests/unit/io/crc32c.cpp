// CRC-32C: the CPU instruction and Boost.CRC's tables give the same checksums, which are the
// standard ones.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

TEST_CASE("crc32c: the check value of the Castagnoli polynomial and TensorFlow's masked form", "[io][crc32c]") {
    std::string digits = "123456789";
    CHECK(est::io::crc32c(digits.data(), digits.size()) == 0xE3069283u);
    CHECK(est::io::detail::crc32c_portable(digits.data(), digits.size()) == 0xE3069283u);
    CHECK(est::io::crc32c(nullptr, 0) == 0u);
    // 32 zero bytes: RFC 3720 (iSCSI), appendix B.4.
    std::vector<unsigned char> zeros(32, 0);
    CHECK(est::io::crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
    std::vector<unsigned char> ones(32, 0xFF);
    CHECK(est::io::crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
    CHECK(est::io::masked_crc32c(digits.data(), digits.size()) == est::io::mask_crc(0xE3069283u));
}

TEST_CASE("crc32c: the CPU instruction agrees with the tables at every length and alignment", "[io][crc32c]") {
    if (!est::io::detail::crc32c_instruction_available()) {
        WARN("this CPU has no CRC-32C instruction: only the tables ran");
        return;
    }
    std::mt19937 engine(5);
    std::vector<unsigned char> bytes(4096 + 16);
    for (auto& b : bytes) b = static_cast<unsigned char>(engine());
    for (std::size_t offset = 0; offset < 9; ++offset)
        for (std::size_t size : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255, 1000, 4096}) {
            INFO("offset " << offset << ", " << size << " bytes");
            CHECK(est::io::detail::crc32c_instruction(bytes.data() + offset, size) ==
                  est::io::detail::crc32c_portable(bytes.data() + offset, size));
        }
}
