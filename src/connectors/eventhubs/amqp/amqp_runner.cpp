// SPDX-License-Identifier: MIT
#include "amqp_runner.hpp"

#include <exception>
#include <future>
#include <memory>
#include <utility>

#include <proton/duration.hpp>

namespace streamcp::adapters {
namespace {

// Ends the event loop from inside: Proton 0.37's container::stop() does not return from run()
// when no connection is open (nothing wakes the loop), so a timer task throws this instead
// (work-queue items would not do: their exceptions are swallowed).
struct end_of_loop : std::exception {
    [[nodiscard]] const char* what() const noexcept override { return "end of the event loop"; }
};

}  // namespace

amqp_runner::amqp_runner(const std::string& id, std::function<void(const std::string&)> on_crash)
    : container_(id), queue_(std::make_unique<proton::work_queue>(container_)) {
    container_.auto_stop(false);  // keep running between connections (reconnect back-off)
    thread_ = std::thread([this, on_crash = std::move(on_crash)] {
        try {
            container_.run();
        } catch (const std::exception& error) {
            if (!stopping_) {
                on_crash(std::string("AMQP event loop stopped: ") + error.what());
            }
        }
    });
}

amqp_runner::~amqp_runner() { stop(); }

bool amqp_runner::post(std::function<void()> work) {
    return queue_->add(proton::work(std::move(work)));
}

void amqp_runner::close_and_stop(const std::function<void(std::function<void()>)>& close,
                                 std::chrono::milliseconds patience) {
    if (thread_.joinable()) {
        auto done = std::make_shared<std::promise<void>>();
        auto future = done->get_future();
        if (post([close, done] { close([done] { done->set_value(); }); })) {
            future.wait_for(patience);
        }
    }
    stop();
}

void amqp_runner::stop() {
    if (thread_.joinable()) {
        stopping_ = true;
        container_.stop();
        container_.schedule(proton::duration(0), proton::work([] { throw end_of_loop(); }));
        thread_.join();
    }
}

void schedule_after(proton::container& container, std::chrono::milliseconds delay,
                    std::function<void()> work) {
    container.schedule(proton::duration(static_cast<proton::duration::numeric_type>(delay.count())),
                       proton::work(std::move(work)));
}

}  // namespace streamcp::adapters
