//go:build tools

// The local S3-compatible server the backup scripts' tests upload to and download from:
// Versity's S3 gateway (versitygw, Apache-2.0) over a folder, with SigV4 credentials
// checked. Only its module is required here; scripts/s3-server/install builds its
// command.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
