// SPDX-License-Identifier: MIT
#include "frame_relay.hpp"

#include <cerrno>
#include <cstring>
#include <list>
#include <stdexcept>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "performative_fields.hpp"

namespace streamcp::eventhubs_double {
namespace {

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

void no_delay(int fd) {
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// One direction of a relayed connection: bytes read from `from` and not yet written to `to`.
struct direction {
    int from = -1;
    int to = -1;
    bool rewrite = false;  // Proton -> client: complete the performatives
    std::string unparsed;  // read, waiting for the rest of a frame
    std::string outgoing;  // ready to write
    bool eof = false;      // `from` closed: shut `to` down once `outgoing` is written
    bool shut = false;
};

struct relayed_connection {
    direction to_inner;
    direction to_client;
    [[nodiscard]] bool finished() const { return to_inner.shut && to_client.shut; }
};

// Reads what is there; false when the peer closed or failed.
bool read_into(direction& way, std::uint32_t max_frame_size) {
    char buffer[65536];
    const ssize_t count = read(way.from, buffer, sizeof buffer);
    if (count > 0) {
        way.unparsed.append(buffer, static_cast<std::size_t>(count));
        if (!way.rewrite) {
            way.outgoing += way.unparsed;
            way.unparsed.clear();
        } else {
            std::size_t consumed = 0;
            way.outgoing += complete_performatives(way.unparsed, consumed, max_frame_size);
            way.unparsed.erase(0, consumed);
        }
        return true;
    }
    return count < 0 && (errno == EAGAIN || errno == EINTR);
}

void write_out(direction& way) {
    if (!way.outgoing.empty()) {
        const ssize_t count = send(way.to, way.outgoing.data(), way.outgoing.size(), MSG_NOSIGNAL);
        if (count > 0) {
            way.outgoing.erase(0, static_cast<std::size_t>(count));
        } else if (count < 0 && errno != EAGAIN && errno != EINTR) {
            way.outgoing.clear();
            way.eof = true;
        }
    }
    if (way.eof && way.outgoing.empty() && !way.shut) {
        shutdown(way.to, SHUT_WR);
        way.shut = true;
    }
}

}  // namespace

frame_relay::~frame_relay() {
    if (thread_.joinable()) {
        const char stop = 'q';
        (void)!write(wake_pipe_[1], &stop, 1);
        thread_.join();
    }
    for (const int fd : {listen_fd_, wake_pipe_[0], wake_pipe_[1]}) {
        if (fd >= 0) close(fd);
    }
}

int frame_relay::start(int public_port, int inner_port, std::uint32_t max_frame_size) {
    inner_port_ = inner_port;
    max_frame_size_ = max_frame_size;
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address = loopback(public_port);
    socklen_t length = sizeof address;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listen_fd_, 64) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        pipe2(wake_pipe_, O_CLOEXEC) != 0) {
        throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(public_port) +
                                 ": " + std::strerror(errno));
    }
    thread_ = std::thread([this] { run(); });
    return ntohs(address.sin_port);
}

void frame_relay::run() {
    std::list<relayed_connection> connections;
    for (;;) {
        std::vector<pollfd> watched{{wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
        for (relayed_connection& connection : connections) {
            for (direction* way : {&connection.to_inner, &connection.to_client}) {
                // A negative descriptor is skipped by poll: nothing more to read or to write.
                watched.push_back({way->eof ? -1 : way->from, POLLIN, 0});
                watched.push_back({way->outgoing.empty() || way->shut ? -1 : way->to, POLLOUT, 0});
            }
        }
        if (poll(watched.data(), watched.size(), -1) < 0 && errno != EINTR) return;
        if (watched[0].revents != 0) return;
        if ((watched[1].revents & POLLIN) != 0) {
            const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            const int inner = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const sockaddr_in address = loopback(inner_port_);
            if (client >= 0 && inner >= 0 &&
                connect(inner, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
                no_delay(client);
                no_delay(inner);
                (void)fcntl(inner, F_SETFL, O_NONBLOCK);
                relayed_connection& added = connections.emplace_back();
                added.to_inner.from = client;
                added.to_inner.to = inner;
                added.to_client.from = inner;
                added.to_client.to = client;
                added.to_client.rewrite = true;
            } else {
                if (client >= 0) close(client);
                if (inner >= 0) close(inner);
            }
            continue;  // the watched list no longer matches the connections
        }
        std::size_t index = 2;
        for (relayed_connection& connection : connections) {
            for (direction* way : {&connection.to_inner, &connection.to_client}) {
                const short readable = watched[index].revents;
                const short writable = watched[index + 1].revents;
                index += 2;
                if ((readable & (POLLIN | POLLHUP | POLLERR)) != 0 && !way->eof &&
                    !read_into(*way, max_frame_size_)) {
                    way->eof = true;
                }
                if ((writable & (POLLOUT | POLLERR | POLLHUP)) != 0 || way->eof) write_out(*way);
            }
        }
        std::erase_if(connections, [](relayed_connection& connection) {
            if (!connection.finished()) return false;
            close(connection.to_inner.from);
            close(connection.to_client.from);
            return true;
        });
    }
}

}  // namespace streamcp::eventhubs_double
