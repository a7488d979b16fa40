#pragma once
#include <string>

namespace synfire::cli {

/// `synfire plot FILE [-o DIR] [--force]`: runs the embedded python/synfire_plot.py with Python 3 (h5py,
/// matplotlib); returns its exit code (2: bad input, e.g. pictures already in DIR without force). The
/// interpreter: $SYNFIRE_PYTHON, else /usr/bin/python3, else python3 on PATH.
int plot(const std::string& file, const std::string& output_dir, bool force);

}  // namespace synfire::cli
