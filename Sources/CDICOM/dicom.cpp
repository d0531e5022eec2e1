// medsynth_dicom.h over GDCM: the child process that reads a file, and the parent's side of it.
// Nothing here throws into Swift: the child catches everything, and the parent only reads a pipe.
#include "medsynth_dicom.h"

#include "gdcm_headers.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

// MARK: The answer, written by the child

/// The answer as it is built, in the layout medsynth_dicom.h describes (native byte order, which
/// is little-endian on every machine medsynth builds for).
struct Answer {
    std::string bytes;

    void u8(uint8_t v) { bytes.push_back(char(v)); }
    void u32(uint32_t v) { bytes.append(reinterpret_cast<const char *>(&v), 4); }
    void i32(int32_t v) { bytes.append(reinterpret_cast<const char *>(&v), 4); }
    void u64(uint64_t v) { bytes.append(reinterpret_cast<const char *>(&v), 8); }
    void text(const std::string &t) { u32(uint32_t(t.size())); bytes += t; }

    void pixels(const gdcm::Image &image) {
        const gdcm::PixelFormat &format = image.GetPixelFormat();
        u32(image.GetDimension(0));
        u32(image.GetDimension(1));
        u32(image.GetNumberOfDimensions() > 2 ? image.GetDimension(2) : 1);
        u32(format.GetSamplesPerPixel());
        u32(format.GetBitsAllocated());
        u32(format.GetBitsStored());
        u32(format.GetHighBit());
        u32(format.GetPixelRepresentation());
        u32(image.GetPlanarConfiguration());
        const char *name = image.GetPhotometricInterpretation().GetString();
        std::string photometric = name ? name : "";
        while (!photometric.empty() && photometric.back() == ' ') photometric.pop_back();
        photometric.resize(32, '\0');
        photometric[31] = '\0';
        bytes += photometric;
        u64(image.GetBufferLength());
    }
};

/// The tables whose bytes medsynth reads itself: the palette's (plain and segmented) and the
/// Modality LUT's data (StringFilter writes nothing for OW).
bool isRawTable(const gdcm::Tag &tag) {
    return tag.GetGroup() == 0x0028 && ((tag.GetElement() >= 0x1201 && tag.GetElement() <= 0x1203)
                                         || (tag.GetElement() >= 0x1221 && tag.GetElement() <= 0x1223) || tag.GetElement() == 0x3006);
}

/// The most metadata an answer may carry; a file with more is refused rather than sent.
const size_t metadataLimit = size_t(64) << 20;

/// Value representations whose values are bulk bytes rather than something to read as text;
/// their elements are left out.
bool isBulk(const gdcm::DataElement &element, const gdcm::Tag &tag) {
    gdcm::VR vr = element.GetVR();
    if ((vr == gdcm::VR::INVALID || vr == gdcm::VR::UN) && !tag.IsPrivate()) {
        gdcm::VR known = gdcm::Global::GetInstance().GetDicts().GetDictEntry(tag).GetVR();
        if (known != gdcm::VR::INVALID) vr = known;
    }
    return vr & (gdcm::VR::OB | gdcm::VR::OW | gdcm::VR::OF | gdcm::VR::OD | gdcm::VR::OL | gdcm::VR::OV | gdcm::VR::UN);
}

/// The two letters of an element's VR ("OW", "US"), or "??" when the file does not say (implicit VR).
std::string vrName(const gdcm::DataElement &element) {
    const char *name = gdcm::VR::GetVRString(element.GetVR());
    std::string text = name ? name : "";
    return text.size() == 2 ? text : "??";
}

/// Every element of `dataSet` (and of its sequences' items, to a bounded depth) as text.
void writeElements(Answer &answer, uint32_t &count, const gdcm::DataSet &dataSet, const gdcm::StringFilter &filter,
                   std::vector<uint32_t> &path, int depth) {
    for (const gdcm::DataElement &element : dataSet.GetDES()) {
        const gdcm::Tag &tag = element.GetTag();
        // Private elements are nobody's standard: medsynth reads none, and StringFilter can assert on them.
        if (tag.IsPrivate() || tag.IsPrivateCreator()) continue;
        if (answer.bytes.size() > metadataLimit) {
            throw std::runtime_error("holds more than " + std::to_string(metadataLimit >> 20) + " MiB of metadata");
        }
        if (tag == gdcm::Tag(0x7FE0, 0x0010) || isRawTable(tag)) {
            // Pixel Data: how many bytes it holds (native), or how many fragments (encapsulated).
            // A palette's table: its VR and its bytes, as GDCM holds them.
            path.push_back(tag.GetElementTag());
            answer.u32(uint32_t(path.size()));
            for (uint32_t code : path) answer.u32(code);
            const gdcm::ByteValue *native = element.GetByteValue();
            if (isRawTable(tag)) {
                answer.u8(2);
                std::string bytes = vrName(element) + (native ? std::string(native->GetPointer(), native->GetLength()) : std::string());
                answer.text(bytes);
            } else {
                answer.u8(0);
                const gdcm::SequenceOfFragments *fragments = element.GetSequenceOfFragments();
                answer.text(native ? std::to_string(native->GetLength()) : fragments ? "encapsulated " + std::to_string(fragments->GetNumberOfFragments()) : "");
            }
            path.pop_back();
            ++count;
            continue;
        }
        gdcm::SmartPointer<gdcm::SequenceOfItems> items;
        gdcm::VR vr = element.GetVR();
        // An implicit VR or UN element is a sequence when the dictionary says so.
        bool unknown = vr == gdcm::VR::UN || vr == gdcm::VR::INVALID;
        bool mayBeSequence = vr == gdcm::VR::SQ || (!element.IsEmpty() && dynamic_cast<const gdcm::SequenceOfItems *>(&element.GetValue()) != nullptr)
            || (unknown && !tag.IsPrivate() && gdcm::Global::GetInstance().GetDicts().GetDictEntry(tag).GetVR() == gdcm::VR::SQ);
        if (mayBeSequence && !element.IsEmpty()) {
            try {
                items = element.GetValueAsSQ();
            } catch (...) {
                items = nullptr;
            }
        }
        path.push_back(tag.GetElementTag());
        if (items) {
            answer.u32(uint32_t(path.size()));
            for (uint32_t code : path) answer.u32(code);
            answer.u8(1);
            answer.u32(uint32_t(items->GetNumberOfItems()));
            ++count;
            if (depth < 16) {
                for (gdcm::SequenceOfItems::SizeType i = 1; i <= items->GetNumberOfItems(); ++i) {
                    path.push_back(uint32_t(i - 1));
                    writeElements(answer, count, items->GetItem(i).GetNestedDataSet(), filter, path, depth + 1);
                    path.pop_back();
                }
            }
        } else if (!isBulk(element, tag)) {
            std::string text = element.IsEmpty() ? std::string() : filter.ToString(element);
            size_t end = text.find_last_not_of(std::string(" \0", 2));
            text = end == std::string::npos ? std::string() : text.substr(0, end + 1);
            size_t start = text.find_first_not_of(' ');
            text = start == std::string::npos ? std::string() : text.substr(start);
            if (text.size() <= (4u << 20)) {
                answer.u32(uint32_t(path.size()));
                for (uint32_t code : path) answer.u32(code);
                answer.u8(0);
                answer.text(text);
                ++count;
            }
        }
        path.pop_back();
    }
}

/// What GDCM reported while reading, on one line.
std::string traceText(std::ostringstream &trace) {
    std::string text = trace.str();
    for (char &c : text) if (c == '\n' || c == '\r') c = ' ';
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (text.size() > 300) text = text.substr(0, 300) + "...";
    return text;
}

/// The child's whole work: read the data set, then the pixels (native bytes and RLE fragments as
/// they are, anything else decoded by GDCM's codecs), and answer. Returns the answer, or throws.
std::string readInChild(const char *path, const void *bytes, size_t count, bool headersOnly, uint64_t maxPixelBytes) {
    std::ostringstream trace;
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarning(true);
    gdcm::Trace::SetError(true);
    gdcm::Trace::SetErrorStream(trace);
    gdcm::Trace::SetWarningStream(trace);

    std::istringstream memory;
    auto point = [&](gdcm::Reader &reader) {
        if (path != nullptr) {
            reader.SetFileName(path);
        } else {
            memory.clear();
            memory.str(std::string(static_cast<const char *>(bytes), count));
            reader.SetStream(memory);
        }
    };
    gdcm::Reader reader;
    point(reader);
    bool read = headersOnly ? reader.ReadUpToTag(gdcm::Tag(0x7FE0, 0x0010), std::set<gdcm::Tag>()) : reader.Read();
    if (!read) {
        std::string said = traceText(trace);
        throw std::runtime_error("is not a DICOM file GDCM can read" + (said.empty() ? "" : " (GDCM: " + said + ")"));
    }
    // GDCM pads a Pixel Data cut short by the end of the file with zeros, and only warns.
    if (trace.str().find("Incomplete Pixel Data") != std::string::npos) {
        throw std::runtime_error("has its Pixel Data (7FE0,0010) cut short: the file ends before the length the element states");
    }

    Answer answer;
    answer.bytes = "MSD1";
    const gdcm::File &file = reader.GetFile();
    const gdcm::DataSet &dataSet = file.GetDataSet();
    gdcm::StringFilter filter;
    filter.SetFile(file);
    size_t countAt = answer.bytes.size();
    answer.u32(0);
    uint32_t elements = 0;
    std::vector<uint32_t> top;
    writeElements(answer, elements, dataSet, filter, top, 0);
    std::memcpy(&answer.bytes[countAt], &elements, 4);

    const gdcm::TransferSyntax syntax = file.GetHeader().GetDataSetTransferSyntax();
    const char *uid = gdcm::TransferSyntax::GetTSString(syntax);
    answer.text(uid ? uid : "");

    const gdcm::Tag pixelData(0x7FE0, 0x0010);
    if (headersOnly || !dataSet.FindDataElement(pixelData)) {
        answer.u8(0);
        return answer.bytes;
    }
    const gdcm::DataElement &pixels = dataSet.GetDataElement(pixelData);
    if (const gdcm::ByteValue *native = pixels.GetByteValue()) {
        if (native->GetLength() > maxPixelBytes) {
            answer.u8(2);
            answer.text("holds " + std::to_string(native->GetLength()) + " bytes of pixels, more than the " + std::to_string(maxPixelBytes) + " allowed");
            return answer.bytes;
        }
        answer.u8(3);
        answer.text(vrName(pixels));
        answer.u64(native->GetLength());
        answer.bytes.append(native->GetPointer(), native->GetLength());
        return answer.bytes;
    }
    const gdcm::SequenceOfFragments *fragments = pixels.GetSequenceOfFragments();
    if (fragments == nullptr) {
        answer.u8(2);
        answer.text("has a Pixel Data (7FE0,0010) that is neither native bytes nor encapsulated fragments");
        return answer.bytes;
    }
    if (syntax == gdcm::TransferSyntax::RLELossless) {
        uint64_t total = 0;
        for (unsigned i = 0; i < fragments->GetNumberOfFragments(); ++i) total += fragments->GetFragment(i).GetVL();
        if (total > maxPixelBytes) {
            answer.u8(2);
            answer.text("holds " + std::to_string(total) + " bytes of RLE fragments, more than the " + std::to_string(maxPixelBytes) + " allowed");
            return answer.bytes;
        }
        answer.u8(4);
        answer.u32(uint32_t(fragments->GetNumberOfFragments()));
        for (unsigned i = 0; i < fragments->GetNumberOfFragments(); ++i) {
            const gdcm::ByteValue *fragment = fragments->GetFragment(i).GetByteValue();
            uint64_t length = fragment ? uint64_t(fragment->GetLength()) : 0;
            answer.u64(length);
            if (fragment) answer.bytes.append(fragment->GetPointer(), length);
        }
        return answer.bytes;
    }

    // Everything else (JPEG, JPEG-LS, JPEG 2000) through GDCM's image reader and its codecs.
    trace.str("");
    gdcm::ImageReader images;
    point(images);
    if (!images.Read()) {
        std::string said = traceText(trace);
        answer.u8(2);
        answer.text("holds no image GDCM can decode" + (said.empty() ? "" : " (GDCM: " + said + ")"));
        return answer.bytes;
    }
    const gdcm::Image &image = images.GetImage();
    uint64_t length = image.GetBufferLength();
    if (length > maxPixelBytes) {
        answer.u8(2);
        answer.text("would decode to " + std::to_string(length) + " bytes of pixels, more than the " + std::to_string(maxPixelBytes) + " allowed");
        return answer.bytes;
    }
    std::vector<char> buffer(length);
    trace.str("");
    if (!image.GetBuffer(buffer.data())) {
        std::string said = traceText(trace);
        answer.u8(2);
        answer.text("has pixel data GDCM could not decode" + (said.empty() ? "" : " (GDCM: " + said + ")"));
        return answer.bytes;
    }
    answer.u8(1);
    answer.pixels(image);
    answer.u64(length);
    answer.bytes.append(buffer.data(), buffer.size());
    return answer.bytes;
}

bool writeAll(int fd, const char *data, size_t size) {
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= size_t(n);
    }
    return true;
}

/// Reads exactly `size` bytes, waiting at most `limitMilliseconds` for each (-1: forever).
/// Returns 1, 0 at the end of the stream, -1 on an error, -2 on silence.
int readAll(int fd, char *data, size_t size, int limitMilliseconds) {
    while (size > 0) {
        struct pollfd ready = {fd, POLLIN, 0};
        int polled = poll(&ready, 1, limitMilliseconds);
        if (polled < 0 && errno == EINTR) continue;
        if (polled < 0) return -1;
        if (polled == 0) return -2;
        ssize_t n = recv(fd, data, size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return 0;
        data += n;
        size -= size_t(n);
    }
    return 1;
}

void report(char *error, size_t capacity, const std::string &message) {
    if (error == nullptr || capacity == 0) return;
    size_t n = std::min(message.size(), capacity - 1);
    std::memcpy(error, message.data(), n);
    error[n] = 0;
}

/// How long the reader may take over a file before it is taken to be stuck (GDCM looping on a
/// hostile file): 5 s, and 2 s more per MiB of file (decoding runs at tens of MB a second), at
/// most 10 minutes.
int silenceLimitMilliseconds(uint64_t fileSize) {
    return int(std::min<uint64_t>(5000 + (fileSize >> 20) * 2000, 600 * 1000));
}

/// The address-space limit this process started with (the user's `ulimit -v`, if any).
struct rlimit originalAddressSpace;

/// Caps this process's address space for one file at what it already maps plus room for the file
/// twice, eight bytes per decoded pixel byte (OpenJPEG holds a 32-bit integer per sample besides
/// GDCM's buffers) and 256 MiB for GDCM itself, never above the limit it started with. A hostile
/// length field then makes GDCM's allocation fail at once (a refusal) instead of zero-filling
/// gigabytes.
void limitAddressSpace(const char *path, uint64_t bytes, uint64_t maxPixelBytes) {
    uint64_t fileSize = bytes;
    struct stat status;
    if (path != nullptr) fileSize = stat(path, &status) == 0 ? uint64_t(status.st_size) : 0;
    unsigned long long mappedPages = 0;
    if (FILE *statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%llu", &mappedPages) != 1) mappedPages = 0;
        std::fclose(statm);
    }
    if (mappedPages == 0) return;
    uint64_t mapped = uint64_t(mappedPages) * uint64_t(sysconf(_SC_PAGESIZE));
    uint64_t room = 2 * fileSize + 8 * std::min<uint64_t>(maxPixelBytes, uint64_t(1) << 40) + (uint64_t(256) << 20);
    struct rlimit limit = originalAddressSpace;
    rlim_t wanted = rlim_t(mapped + room);
    if (limit.rlim_cur == RLIM_INFINITY || wanted < limit.rlim_cur) limit.rlim_cur = wanted;
    setrlimit(RLIMIT_AS, &limit);
}

/// Closes every descriptor but the standard streams and `keep`.
void closeOthers(int keep) {
    std::vector<int> open;
    if (DIR *folder = opendir("/proc/self/fd")) {
        while (struct dirent *entry = readdir(folder)) {
            int fd = std::atoi(entry->d_name);
            if (fd > 2 && fd != keep && fd != dirfd(folder)) open.push_back(fd);
        }
        closedir(folder);
    }
    for (int fd : open) close(fd);
}

/// The child's loop: a request is u8 source (0 a path, 1 the file's bytes), u8 headers only,
/// u64 the pixel bytes allowed, u64 n and n bytes (the path or the file); the answer is u64 n and
/// n bytes: a status byte (0 read, 1 refused) and the answer or the reason. It ends when the
/// parent closes its end (or exits).
[[noreturn]] void serve(int channel) {
    // Nothing of the parent's but the channel stays open here: a socket the parent listens on, or
    // a file it deletes, must not live on in this process. GDCM's assertions and its codecs
    // (OpenJPEG) write to stdout and stderr; medsynth says what matters.
    closeOthers(channel);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > 2) close(null);
    }
    struct rlimit noCore = {0, 0};
    setrlimit(RLIMIT_CORE, &noCore);
    getrlimit(RLIMIT_AS, &originalAddressSpace);
    // Ctrl-C is the parent's to handle (the terminal sends it to the whole process group).
    signal(SIGINT, SIG_IGN);
    // Under a sanitizer (the fuzzing build), the parent's death callback (libFuzzer's, which saves
    // the input as a finding) must not run here either.
    if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(nullptr);
    // The parent's crash handlers (Swift's backtracer, libFuzzer's) must not run here: a crash
    // of GDCM's is the parent's to report, from how this process ended.
    for (int deadly : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP}) signal(deadly, SIG_DFL);
    while (true) {
        char header[18];
        if (readAll(channel, header, sizeof header, -1) != 1) _exit(0);
        uint64_t maxPixelBytes, size;
        std::memcpy(&maxPixelBytes, header + 2, 8);
        std::memcpy(&size, header + 10, 8);
        std::string input;
        try {
            input.resize(size);
        } catch (...) {
            _exit(1);
        }
        if (readAll(channel, &input[0], size, -1) != 1) _exit(0);
        limitAddressSpace(header[0] == 0 ? input.c_str() : nullptr, size, maxPixelBytes);
        std::string out;
        char status = 0;
        try {
            bool fromPath = header[0] == 0;
            out = readInChild(fromPath ? input.c_str() : nullptr, input.data(), input.size(), header[1] != 0, maxPixelBytes);
        } catch (const std::bad_alloc &) {
            status = 1;
            out = "could not be read: GDCM needed more memory than allowed for this file (the file twice, eight bytes per pixel "
                  "byte the memory budget allows, and 256 MiB)";
        } catch (const std::exception &exception) {
            status = 1;
            out = exception.what();
        } catch (...) {
            status = 1;
            out = "could not be read (GDCM failed)";
        }
        setrlimit(RLIMIT_AS, &originalAddressSpace);
        uint64_t length = out.size() + 1;
        if (!writeAll(channel, reinterpret_cast<const char *>(&length), 8) || !writeAll(channel, &status, 1)
            || !writeAll(channel, out.data(), out.size())) {
            _exit(0);
        }
    }
}

/// The reading process: forked on first use and kept, so that a folder of hundreds of files
/// costs one fork; forked again after it crashed. One request at a time.
struct Server {
    std::mutex lock;
    pid_t pid = -1;
    int channel = -1;

    /// Ends the current process (after a crash, a silence or a broken channel) and returns how it
    /// ended. It is killed first: one that is still alive would otherwise be waited for forever.
    std::string stop() {
        if (pid <= 0) return "";
        ::kill(pid, SIGKILL);
        if (channel >= 0) close(channel);
        channel = -1;
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        pid = -1;
        if (!WIFSIGNALED(status)) return "GDCM's process ended unexpectedly (status " + std::to_string(WEXITSTATUS(status)) + ")";
        int signal = WTERMSIG(status);
        return signal == SIGABRT ? "an assertion of GDCM's failed (SIGABRT)"
            : signal == SIGSEGV ? "GDCM crashed (SIGSEGV)" : signal == SIGKILL ? "GDCM's process was killed (SIGKILL; out of memory?)"
            : "GDCM's process ended on signal " + std::to_string(signal);
    }

    /// Starts the process unless it runs; an error message, or "".
    std::string start() {
        if (pid > 0) return "";
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            return std::string("no channel to GDCM's process (") + std::strerror(errno) + ")";
        }
        pid_t child = fork();
        if (child < 0) {
            int reason = errno;
            close(pair[0]);
            close(pair[1]);
            return std::string("no process for GDCM (") + std::strerror(reason) + ")";
        }
        if (child == 0) {
            close(pair[0]);
            serve(pair[1]);
        }
        close(pair[1]);
        pid = child;
        channel = pair[0];
        return "";
    }
};

Server server;

/// GDCM's dictionaries, built once in the parent so that every reading process starts with them.
void prepareGDCM() {
    static std::once_flag once;
    std::call_once(once, [] {
        gdcm::Global::GetInstance().GetDicts();
    });
}

}  // namespace

extern "C" int medsynth_dicom_read(const char *path, const void *bytes, size_t count, int headersOnly, uint64_t maxPixelBytes,
                                   void **answer, size_t *answerLength, char *error, size_t errorCapacity) {
    try {
        prepareGDCM();
    } catch (...) {
        report(error, errorCapacity, "GDCM could not load its DICOM dictionary");
        return -1;
    }
    std::lock_guard<std::mutex> guard(server.lock);
    const char *input = path != nullptr ? path : static_cast<const char *>(bytes);
    uint64_t size = path != nullptr ? std::strlen(path) : count;
    struct stat status;
    int limit = silenceLimitMilliseconds(path == nullptr ? count : stat(path, &status) == 0 ? uint64_t(status.st_size) : 0);
    char header[18] = {char(path != nullptr ? 0 : 1), char(headersOnly ? 1 : 0)};
    std::memcpy(header + 2, &maxPixelBytes, 8);
    std::memcpy(header + 10, &size, 8);
    // A process left from an earlier request may have died meanwhile: one more try with a new one.
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::string problem = server.start();
        if (!problem.empty()) {
            report(error, errorCapacity, "could not be read: " + problem);
            return -1;
        }
        if (!writeAll(server.channel, header, sizeof header) || !writeAll(server.channel, input, size)) {
            server.stop();
            continue;
        }
        uint64_t length = 0;
        int got = readAll(server.channel, reinterpret_cast<char *>(&length), 8, limit);
        if (got == 1 && length > 0) {
            char *received = static_cast<char *>(std::malloc(length));
            if (received == nullptr) {
                server.stop();
                report(error, errorCapacity, "could not be read: out of memory for GDCM's answer");
                return -1;
            }
            got = readAll(server.channel, received, length, limit);
            if (got == 1) {
                if (received[0] != 0) {
                    report(error, errorCapacity, std::string(received + 1, length - 1));
                    std::free(received);
                    return -1;
                }
                std::memmove(received, received + 1, length - 1);
                *answer = received;
                *answerLength = length - 1;
                return 0;
            }
            std::free(received);
        }
        if (got == -2) {
            server.stop();
            report(error, errorCapacity, "could not be read: GDCM took more than " + std::to_string(limit / 1000)
                + " s over it (stuck on a damaged file?) and was stopped");
            return -1;
        }
        // The process ended while it read this file (GDCM crashed on it), or the channel broke.
        // (A process killed by stop() here reports SIGKILL: it had stopped answering.)
        std::string how = server.stop();
        report(error, errorCapacity, "could not be read: " + how + "; the file is damaged or in a form GDCM cannot take");
        return -1;
    }
    report(error, errorCapacity, std::string("could not be read: GDCM's process would not take the request (")
        + std::strerror(errno) + ")");
    return -1;
}

extern "C" void medsynth_dicom_free(void *answer) { std::free(answer); }
