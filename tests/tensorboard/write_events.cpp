// Writes the event file that read_events.py checks with TensorBoard's own loader: scalars "loss"
// and "accuracy" at steps 0, 10, ..., 90 with known values.
#include <est/io/event_writer.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: write_events DIRECTORY\n");
        return 2;
    }
    est::io::event_writer writer(argv[1]);
    for (int i = 0; i < 10; ++i) {
        writer.scalar("loss", 1.0f / float(i + 1), 10 * i);
        writer.scalar("accuracy", 0.5f + 0.05f * float(i), 10 * i);
    }
    writer.flush();
    std::printf("%s\n", writer.path().c_str());
}
