// GDCM installs its headers in include/gdcm-<major>.<minor>/, which is not on a compiler's default
// path and for which Debian ships no pkg-config file. The headers include one another with
// quotes, so naming the first one by its folder is enough; SwiftPM needs no flags for it.
#if __has_include(<gdcm-3.0/gdcmImageReader.h>)
#include <gdcm-3.0/gdcmImageReader.h>
#include <gdcm-3.0/gdcmStringFilter.h>
#include <gdcm-3.0/gdcmTrace.h>
#include <gdcm-3.0/gdcmSequenceOfItems.h>
#include <gdcm-3.0/gdcmLookupTable.h>
#include <gdcm-3.0/gdcmGlobal.h>
#elif __has_include(<gdcm-3.2/gdcmImageReader.h>)
#include <gdcm-3.2/gdcmImageReader.h>
#include <gdcm-3.2/gdcmStringFilter.h>
#include <gdcm-3.2/gdcmTrace.h>
#include <gdcm-3.2/gdcmSequenceOfItems.h>
#include <gdcm-3.2/gdcmLookupTable.h>
#include <gdcm-3.2/gdcmGlobal.h>
#elif __has_include(<gdcm-3.1/gdcmImageReader.h>)
#include <gdcm-3.1/gdcmImageReader.h>
#include <gdcm-3.1/gdcmStringFilter.h>
#include <gdcm-3.1/gdcmTrace.h>
#include <gdcm-3.1/gdcmSequenceOfItems.h>
#include <gdcm-3.1/gdcmLookupTable.h>
#include <gdcm-3.1/gdcmGlobal.h>
#else
#error "GDCM 3 is not installed: on Debian or Ubuntu, apt-get install libgdcm-dev (scripts/install-dependencies.sh does)"
#endif
