// swift-tools-version:6.0
// medsynth: a literate notebook environment for latent diffusion on medical images.
// Modules depend downwards only (see docs/architecture.md):
//   C libraries, CKernels  <-  Engine  <-  (Formats, Imaging, Diffusion, Language, Notebook)  <-  medsynth
import PackageDescription

let package = Package(
    name: "medsynth",
    products: [
        .executable(name: "medsynth", targets: ["medsynth"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Formats", targets: ["Formats"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Diffusion", targets: ["Diffusion"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS (cblas) and LAPACKE: declarations only. Engine loads the libraries at run time
        // (dlopen), after it has chosen OpenBLAS's kernels; linking them would load OpenBLAS, and
        // run its kernel selection, before medsynth could say a word. See Engine/BLAS.
        .systemLibrary(name: "CBLAS"),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // readline.pc adds only preprocessor defines, which SwiftPM refuses; its header and
        // library are on the default paths.
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // cmark-gfm renders the notebooks' Markdown (CommonMark with GitHub's tables); its
        // pkg-config file names both libraries, the core and the extensions.
        .systemLibrary(
            name: "CCmark", pkgConfig: "libcmark-gfm", providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),

        // medsynth's own vector kernels in C, each compiled for AVX-512, AVX2 and the baseline and
        // chosen at run time by a CPU check (C's per-function target attributes need no flags).
        .target(name: "CKernels"),
        // GDCM (libgdcm-dev) reads DICOM: the data set and the pixels in every transfer syntax it
        // decodes. A small C++ target gives it a C interface (include/medsynth_dicom.h) for Formats.
        .target(
            name: "CDICOM",
            linkerSettings: [
                .linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmCommon"),
                .linkedLibrary("gdcmDICT"), .linkedLibrary("gdcmIOD"), .linkedLibrary("stdc++"),
            ]),
        // No unsafe flags anywhere: the library products stay usable as dependencies, and a binary
        // runs on any CPU of its architecture (docs/install.md says how to opt in to -target-cpu).
        .target(name: "Engine", dependencies: ["CBLAS", "CKernels"]),
        // Reads and writes Engine's tensors: HDF5, safetensors, checkpoints, PNG, NIfTI, DICOM, SVG, ACDC folders,
        // with the registry (Formats/Registry) that finds which format a file is.
        // Engine knows no files.
        .target(name: "Formats", dependencies: ["Engine", "CHDF5", "CPNG", "CZlib", "CDICOM"]),
        // Edges, masks, intensities and metrics; later the phantom and figures. Knows no files.
        .target(name: "Imaging", dependencies: ["Engine"]),
        // Schedules, samplers, autoencoders, the conditional UNet, training loops and the
        // Med-cDiff tasks. Checkpoints and resumption go through Formats.
        .target(name: "Diffusion", dependencies: ["Engine", "Imaging", "Formats"]),
        // The medsynth language: lexer, parser, analyser, interpreter, values, the verb registry and
        // diagnostics. Knows nothing of notebooks.
        // stdlib/*.medsynth is embedded in it when it is built (Plugins/EmbedStandardLibrary).
        .target(
            name: "Language", dependencies: ["Engine", "Formats", "Imaging", "Diffusion"],
            plugins: ["EmbedStandardLibrary"]),
        // Notebooks: the format, the runner with its content-addressed cache, reports and checks.
        .target(
            name: "Notebook",
            dependencies: ["Engine", "Formats", "Imaging", "Language", "Diffusion", "CCmark"]
        ),
        .executableTarget(
            name: "medsynth",
            dependencies: [
                "Engine", "Formats", "Imaging", "Diffusion", "Language", "Notebook", "CHDF5", "CPNG", "CReadline", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // BuildInfo.commit, for --version (Plugins/EmbedBuildInfo).
            plugins: ["EmbedBuildInfo"]
        ),
        // Writes the Swift sources of the two plugins: the standard library's files and the commit.
        .executableTarget(name: "medsynth-embed"),
        .plugin(name: "EmbedStandardLibrary", capability: .buildTool(), dependencies: ["medsynth-embed"]),
        .plugin(name: "EmbedBuildInfo", capability: .buildTool(), dependencies: ["medsynth-embed"]),
        // Fuzzing (scripts/fuzz.sh): each reader of untrusted bytes wrapped as a target, and
        // medsynth-fuzz, which runs one under libFuzzer or, built normally, replays input files.
        .target(name: "FuzzTargets", dependencies: ["Engine", "Formats", "Diffusion", "Language", "Notebook", "CZlib"]),
        .executableTarget(name: "medsynth-fuzz", dependencies: ["FuzzTargets"]),

        // Fixtures/ folders hold reference data (PyTorch, h5py, safetensors) and the scripts that made it.
        // What several test targets share: fixture loading and comparison, a memory budget for one test.
        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "CKernels", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "FormatsTests", dependencies: ["Formats", "Imaging", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "Formats", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LanguageTests", dependencies: ["Language", "Diffusion", "Formats", "Imaging", "TestSupport"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Language", "Formats", "Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "medsynthTests", dependencies: ["medsynth", "Formats"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "medsynth-fuzz"]),
    ],
    cxxLanguageStandard: .cxx17
)
