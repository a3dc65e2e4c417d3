// SPDX-License-Identifier: MIT
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/snapshot_error.hpp"

STREAMCP_BEGIN_NAMESPACE

/// How a partition key is written into a function snapshot. Provided for integers,
/// `std::string`, `std::monostate` (no PARTITION BY), and `std::optional` / `std::variant`
/// of those (for example the CLI's "string, integer or NULL" keys). Specialise it for other
/// key types.
template <class Key>
struct key_codec;

template <std::integral Key>
struct key_codec<Key> {
    static void encode(byte_writer& w, const Key& key) {
        if constexpr (std::is_signed_v<Key>) {
            w.i64(static_cast<std::int64_t>(key));
        } else {
            w.u64(static_cast<std::uint64_t>(key));
        }
    }
    static Key decode(byte_reader& r) {
        if constexpr (std::is_signed_v<Key>) {
            const std::int64_t v = r.i64();
            if (!std::in_range<Key>(v)) {
                throw snapshot_error(fmt::format("partition key {} out of range", v));
            }
            return static_cast<Key>(v);
        } else {
            const std::uint64_t v = r.u64();
            if (!std::in_range<Key>(v)) {
                throw snapshot_error(fmt::format("partition key {} out of range", v));
            }
            return static_cast<Key>(v);
        }
    }
};

template <>
struct key_codec<std::string> {
    static void encode(byte_writer& w, const std::string& key) { w.str(key); }
    static std::string decode(byte_reader& r) { return r.str(); }
};

template <>
struct key_codec<std::monostate> {
    static void encode(byte_writer& /*w*/, std::monostate /*key*/) {}
    static std::monostate decode(byte_reader& /*r*/) { return {}; }
};

template <class T>
struct key_codec<std::optional<T>> {
    static void encode(byte_writer& w, const std::optional<T>& key) {
        w.u8(key.has_value() ? 1 : 0);
        if (key) {
            key_codec<T>::encode(w, *key);
        }
    }
    static std::optional<T> decode(byte_reader& r) {
        const std::uint8_t flag = r.u8();
        if (flag > 1) {
            throw snapshot_error(fmt::format("bad optional-key flag {}", flag));
        }
        if (flag == 0) {
            return std::nullopt;
        }
        return key_codec<T>::decode(r);
    }
};

template <class... Ts>
struct key_codec<std::variant<Ts...>> {
    static void encode(byte_writer& w, const std::variant<Ts...>& key) {
        w.u8(static_cast<std::uint8_t>(key.index()));
        std::visit(
            [&w](const auto& alt) { key_codec<std::decay_t<decltype(alt)>>::encode(w, alt); }, key);
    }
    static std::variant<Ts...> decode(byte_reader& r) {
        const std::size_t index = r.u8();
        return decode_at(r, index, std::index_sequence_for<Ts...>{});
    }

  private:
    template <std::size_t... I>
    static std::variant<Ts...> decode_at(byte_reader& r, std::size_t index,
                                         std::index_sequence<I...> /*unused*/) {
        std::optional<std::variant<Ts...>> out;
        const auto decode_if = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
            if (index == J) {
                using alternative = std::variant_alternative_t<J, std::variant<Ts...>>;
                out.emplace(std::in_place_index<J>, key_codec<alternative>::decode(r));
            }
        };
        (decode_if(std::integral_constant<std::size_t, I>{}), ...);
        if (!out) {
            throw snapshot_error(fmt::format("bad variant-key index {}", index));
        }
        return std::move(*out);
    }
};

STREAMCP_END_NAMESPACE
