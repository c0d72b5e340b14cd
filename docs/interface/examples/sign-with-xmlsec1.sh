#!/usr/bin/env bash
# Sign a mortgage registration application with xmlsec1 (Debian/Ubuntu: apt-get install xmlsec1).
# 用 xmlsec1 对抵押权登记申请报文签名。
#
# Usage / 用法:
#   sign-with-xmlsec1.sh KEY.pem CERT.pem [TEMPLATE.xml] [SIGNED.xml]
#       KEY.pem   your institution's RSA private key (PEM) / 本机构签名私钥
#       CERT.pem  its certificate, as registered with the registration centre / 已在登记中心备案的证书
#   sign-with-xmlsec1.sh --demo-key [TEMPLATE.xml] [SIGNED.xml]
#       signs with a throw-away self-signed key, to try the tooling; the gateway will not trust it.
#       用临时自签名密钥试验签名流程；网关不会信任该密钥。
#
# TEMPLATE.xml is your request with an empty ds:Signature as the LAST child of MortgageApplication
# (see mortgage-first-template.xml). xmlsec1 fills in DigestValue, SignatureValue and
# X509Certificate. Do not re-indent or otherwise change the signed file afterwards: send its bytes
# as they are. The signature rules are in signature-profile.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"

if [[ "${1:-}" == "--demo-key" ]]; then
    shift
    workdir="$(mktemp -d)"
    trap 'rm -rf "$workdir"' EXIT
    key="$workdir/demo-key.pem"
    cert="$workdir/demo-cert.pem"
    openssl req -x509 -newkey rsa:3072 -sha256 -days 30 -nodes \
        -subj "/C=CN/O=Example Bank (demo only)/CN=demo signing key" \
        -keyout "$key" -out "$cert" 2>/dev/null
else
    if [[ $# -lt 2 ]]; then
        sed -n '2,16p' "$0" >&2
        exit 2
    fi
    key="$1"
    cert="$2"
    shift 2
fi

template="${1:-$here/mortgage-first-template.xml}"
signed="${2:-mortgage-first-signed.xml}"

# Load the private key together with its certificate so that xmlsec1 writes the certificate
# into ds:KeyInfo/ds:X509Data/ds:X509Certificate.
xmlsec1 --sign --privkey-pem "$key,$cert" --output "$signed" "$template"

# Check the result locally before sending it, with the key of CERT.pem only (--enabled-key-data rsa
# keeps xmlsec1 from trying to build a certificate chain). This checks the digest and the signature
# value; the gateway also checks that the certificate is one registered for your institution.
xmlsec1 --verify --enabled-key-data rsa --pubkey-cert-pem "$cert" "$signed"

echo "signed: $signed"
