// medsynth_dicom.h over GDCM: the child process that reads a file, and the parent's side of it.
// Nothing here throws into Swift: the child catches everything, and the parent only reads a pipe.
#include "medsynth_dicom.h"

#include "gdcm_headers.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

/// The palette's tables (plain and segmented), whose bytes medsynth reads itself.
bool isPaletteTable(const gdcm::Tag &tag) {
    return tag.GetGroup() == 0x0028 && ((tag.GetElement() >= 0x1201 && tag.GetElement() <= 0x1203)
                                         || (tag.GetElement() >= 0x1221 && tag.GetElement() <= 0x1223));
}

/// Value representations whose values are bulk bytes rather than something to read as text;
/// their elements are left out (but for the LUT Data, which StringFilter writes as numbers).
bool isBulk(const gdcm::DataElement &element, const gdcm::Tag &tag) {
    gdcm::VR vr = element.GetVR();
    if ((vr == gdcm::VR::INVALID || vr == gdcm::VR::UN) && !tag.IsPrivate()) {
        gdcm::VR known = gdcm::Global::GetInstance().GetDicts().GetDictEntry(tag).GetVR();
        if (known != gdcm::VR::INVALID) vr = known;
    }
    if (tag == gdcm::Tag(0x0028, 0x3006)) return false;
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
        if (tag == gdcm::Tag(0x7FE0, 0x0010) || isPaletteTable(tag)) {
            // Pixel Data: how many bytes it holds (native), or how many fragments (encapsulated).
            // A palette's table: its VR and its bytes, as GDCM holds them.
            path.push_back(tag.GetElementTag());
            answer.u32(uint32_t(path.size()));
            for (uint32_t code : path) answer.u32(code);
            const gdcm::ByteValue *native = element.GetByteValue();
            if (isPaletteTable(tag)) {
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
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= size_t(n);
    }
    return true;
}

void report(char *error, size_t capacity, const std::string &message) {
    if (error == nullptr || capacity == 0) return;
    size_t n = std::min(message.size(), capacity - 1);
    std::memcpy(error, message.data(), n);
    error[n] = 0;
}

/// GDCM's dictionaries, built once in the parent so that every child starts with them.
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
    int channel[2];
    if (pipe2(channel, O_CLOEXEC) != 0) {
        report(error, errorCapacity, std::string("could not be read: no pipe for GDCM's process (") + std::strerror(errno) + ")");
        return -1;
    }
    pid_t child = fork();
    if (child < 0) {
        int reason = errno;
        close(channel[0]);
        close(channel[1]);
        report(error, errorCapacity, std::string("could not be read: no process for GDCM (") + std::strerror(reason) + ")");
        return -1;
    }
    if (child == 0) {
        // The child: no core dumps, gone when the parent is, and quiet.
        close(channel[0]);
        struct rlimit noCore = {0, 0};
        setrlimit(RLIMIT_CORE, &noCore);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent's crash handlers (Swift's backtracer, libFuzzer's) must not run here: a
        // crash of GDCM's is the parent's to report, from how the child ended.
        for (int deadly : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP}) signal(deadly, SIG_DFL);
        // GDCM's assertions and its codecs (OpenJPEG) write to stderr; medsynth says what matters.
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) dup2(null, STDERR_FILENO);
        std::string out;
        uint8_t status = 0;
        try {
            out = readInChild(path, bytes, count, headersOnly != 0, maxPixelBytes);
        } catch (const std::exception &exception) {
            status = 1;
            out = exception.what();
        } catch (...) {
            status = 1;
            out = "could not be read (GDCM failed)";
        }
        bool written = writeAll(channel[1], reinterpret_cast<const char *>(&status), 1) && writeAll(channel[1], out.data(), out.size());
        _exit(written ? 0 : 1);
    }
    close(channel[1]);
    std::string received;
    char chunk[1 << 16];
    int readError = 0;
    while (true) {
        ssize_t n = read(channel[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { readError = errno; break; }
        if (n == 0) break;
        try {
            received.append(chunk, size_t(n));
        } catch (...) {
            readError = ENOMEM;
            kill(child, SIGKILL);
            break;
        }
    }
    close(channel[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(status)) {
        int signal = WTERMSIG(status);
        std::string why = signal == SIGABRT ? "an assertion of GDCM's failed (SIGABRT)"
            : signal == SIGSEGV ? "GDCM crashed (SIGSEGV)" : signal == SIGKILL ? "GDCM's process was killed (SIGKILL; out of memory?)"
            : "GDCM's process ended on signal " + std::to_string(signal);
        report(error, errorCapacity, "could not be read: " + why + "; the file is damaged or in a form GDCM cannot take");
        return -1;
    }
    if (readError != 0 || received.empty()) {
        report(error, errorCapacity, std::string("could not be read: GDCM's process gave no answer") + (readError ? std::string(" (") + std::strerror(readError) + ")" : ""));
        return -1;
    }
    if (received[0] != 0) {
        report(error, errorCapacity, received.substr(1));
        return -1;
    }
    void *copy = std::malloc(received.size() - 1 == 0 ? 1 : received.size() - 1);
    if (copy == nullptr) {
        report(error, errorCapacity, "could not be read: out of memory");
        return -1;
    }
    std::memcpy(copy, received.data() + 1, received.size() - 1);
    *answer = copy;
    *answerLength = received.size() - 1;
    return 0;
}

extern "C" void medsynth_dicom_free(void *answer) { std::free(answer); }
