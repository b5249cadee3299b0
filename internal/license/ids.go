package license

// spdxLicenses is a selection of SPDX license list ids
// (https://spdx.org/licenses/): those that third-party packages of npm,
// PyPI, crates.io and Go commonly declare, including deprecated ids still
// seen in metadata (GPL-2.0, GPL-2.0+ …), which Parse canonicalises.
const spdxLicenses = `
0BSD AFL-1.1 AFL-1.2 AFL-2.0 AFL-2.1 AFL-3.0 AGPL-1.0 AGPL-3.0 AGPL-3.0-only AGPL-3.0-or-later
Apache-1.0 Apache-1.1 Apache-2.0 APSL-2.0 Artistic-1.0 Artistic-1.0-Perl Artistic-2.0
BlueOak-1.0.0 BSD-1-Clause BSD-2-Clause BSD-2-Clause-Patent BSD-3-Clause BSD-3-Clause-Clear
BSD-3-Clause-LBNL BSD-4-Clause BSD-Source-Code BSL-1.0 BUSL-1.1 bzip2-1.0.6
CAL-1.0 CC-BY-1.0 CC-BY-2.0 CC-BY-2.5 CC-BY-3.0 CC-BY-4.0 CC-BY-NC-4.0 CC-BY-ND-4.0 CC-BY-SA-3.0
CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 CECILL-2.1 CPAL-1.0 CPL-1.0 curl ECL-2.0 EFL-2.0
EPL-1.0 EPL-2.0 EUPL-1.1 EUPL-1.2 FSFAP FTL GFDL-1.3 GFDL-1.3-only GFDL-1.3-or-later
GPL-1.0 GPL-1.0-only GPL-1.0-or-later GPL-2.0 GPL-2.0-only GPL-2.0-or-later GPL-3.0
GPL-3.0-only GPL-3.0-or-later HPND ICU IJG ISC JSON LGPL-2.0 LGPL-2.0-only LGPL-2.0-or-later
LGPL-2.1 LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0 LGPL-3.0-only LGPL-3.0-or-later Libpng
libpng-2.0 LPL-1.02 MirOS MIT MIT-0 MIT-CMU MIT-Modern-Variant MPL-1.0 MPL-1.1 MPL-2.0
MPL-2.0-no-copyleft-exception MS-PL MS-RL MulanPSL-2.0 NCSA Nokia ODbL-1.0 OFL-1.0 OFL-1.1
OpenSSL OSL-1.0 OSL-2.0 OSL-2.1 OSL-3.0 PHP-3.0 PHP-3.01 PostgreSQL PSF-2.0 Python-2.0
Python-2.0.1 QPL-1.0 Ruby SSPL-1.0 TCL Unicode-3.0 Unicode-DFS-2015 Unicode-DFS-2016
Unlicense UPL-1.0 Vim W3C W3C-20150513 WTFPL X11 Xnet Zlib zlib-acknowledgement ZPL-2.0 ZPL-2.1
`

// spdxExceptions is a selection of SPDX license exception ids.
const spdxExceptions = `
Autoconf-exception-2.0 Autoconf-exception-3.0 Bison-exception-2.2 Bootloader-exception
Classpath-exception-2.0 CLISP-exception-2.0 eCos-exception-2.0 FLTK-exception
Font-exception-2.0 freertos-exception-2.0 GCC-exception-2.0 GCC-exception-3.1
GPL-3.0-linking-exception GPL-3.0-linking-source-exception GPL-CC-1.0 LGPL-3.0-linking-exception
Libtool-exception LLVM-exception OCaml-LGPL-linking-exception OpenJDK-assembly-exception-1.0
openvpn-openssl-exception Qt-GPL-exception-1.0 Qt-LGPL-exception-1.1 Swift-exception
u-boot-exception-2.0 Universal-FOSS-exception-1.0 WxWindows-exception-3.1
`
