// Package attach checks the files a message carries (issue #6) by their
// content, never by their name or the type the sender claims: a JPEG or
// PNG must start with its signature and decode as a whole, within a pixel
// bound that stops decompression bombs, and is then re-encoded, which
// drops everything but the pixels (EXIF with GPS positions, comments,
// text chunks, trailing data, polyglot payloads); a PDF must have a PDF
// header and a trailer that ends the file, and is kept as it is. What is
// not one of the three is refused. It imports only the standard library
// and the domain.
package attach

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"image/png"
	"regexp"

	"interlude/internal/care"
)

// MaxPixels bounds an image's width × height, so that decoding one (4 to
// 8 bytes a pixel) takes at most about 130 MB whatever its file size:
// 16 megapixels, above the 12 of a phone camera's photos.
const MaxPixels = 1 << 24

// MaxSide bounds an image's width and height.
const MaxSide = 1 << 14

// jpegQuality is the quality re-encoded JPEGs are saved with.
const jpegQuality = 90

var (
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	pdfMagic  = []byte("%PDF-")
)

// Sniff names the content type data starts like, or "" when it is none
// of JPEG, PNG or PDF. It only looks at the signature; Check decides.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, jpegMagic):
		return care.ContentTypeJPEG
	case bytes.HasPrefix(data, pngMagic):
		return care.ContentTypePNG
	case bytes.HasPrefix(data, pdfMagic):
		return care.ContentTypePDF
	}
	return ""
}

// Check checks data, a whole uploaded file, and returns its content type
// and the content to store: a re-encoded image, or the PDF as it is. A
// refused file is a care.Invalid error on the field "file" that says why
// in words a sender can act on; it never quotes the content.
func Check(data []byte) (contentType string, out []byte, err error) {
	switch {
	case len(data) == 0:
		return "", nil, care.FieldError("file", "is empty")
	case len(data) > care.MaxAttachmentSize:
		return "", nil, care.FieldError("file", "is larger than %d MB", care.MaxAttachmentSize>>20)
	}
	contentType = Sniff(data)
	switch contentType {
	case care.ContentTypeJPEG, care.ContentTypePNG:
		out, err = reencode(contentType, data)
	case care.ContentTypePDF:
		out, err = data, checkPDF(data)
	default:
		return "", nil, care.FieldError("file", "must be a JPEG or PNG image or a PDF document (its content is none of these)")
	}
	if err != nil {
		return "", nil, err
	}
	if len(out) > care.MaxAttachmentSize {
		return "", nil, care.FieldError("file", "is too large once its image is cleaned of metadata; send a smaller image")
	}
	return contentType, out, nil
}

// reencode decodes an image within the pixel bounds and encodes it again.
func reencode(contentType string, data []byte) ([]byte, error) {
	name := "JPEG"
	decodeConfig, decode := jpeg.DecodeConfig, jpeg.Decode
	if contentType == care.ContentTypePNG {
		name, decodeConfig, decode = "PNG", png.DecodeConfig, png.Decode
	}
	broken := care.FieldError("file", "looks like a %s image but does not decode as one; it may be damaged", name)
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, broken
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide ||
		int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, care.FieldError("file", "is an image of %d × %d pixels; at most %d megapixels (and %d pixels a side) are accepted",
			cfg.Width, cfg.Height, MaxPixels>>20, MaxSide)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, broken
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, broken
	}
	if contentType == care.ContentTypeJPEG {
		img = orient(img, jpegOrientation(data))
	}
	var buf bytes.Buffer
	buf.Grow(len(data))
	if contentType == care.ContentTypePNG {
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		err = enc.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	}
	if err != nil {
		return nil, fmt.Errorf("attach: re-encoding a %s image: %w", name, err)
	}
	return buf.Bytes(), nil
}

// pdfTail is the end of a PDF file: "startxref", the offset of the last
// cross-reference section, and "%%EOF", then perhaps line ends.
var pdfTail = regexp.MustCompile(`startxref[\r\n\t\f ]+([0-9]{1,10})[\r\n\t\f ]+%%EOF[\r\n\t\f \x00]*$`)

// pdfXref is what a cross-reference offset points at: a classic table
// ("xref") or a cross-reference stream object ("12 0 obj").
var pdfXref = regexp.MustCompile(`^(xref|[0-9]{1,10}[\r\n\t\f ]+[0-9]{1,5}[\r\n\t\f ]+obj)`)

// checkPDF is a sanity check of a PDF's structure, not a parse: a header
// "%PDF-1.x" or "%PDF-2.x" at the start, and a trailer in the last
// kilobyte whose startxref offset lies in the file and points at a
// cross-reference section. It stops files of other kinds with a PDF
// header pasted on, and truncated uploads.
func checkPDF(data []byte) error {
	bad := care.FieldError("file", "looks like a PDF document but its structure is not a PDF's; it may be damaged or incomplete")
	if len(data) < 8 || data[5] != '1' && data[5] != '2' || data[6] != '.' || data[7] < '0' || data[7] > '9' {
		return bad
	}
	tail := data[max(0, len(data)-1024):]
	m := pdfTail.FindSubmatch(tail)
	if m == nil {
		return bad
	}
	var off int64
	for _, d := range m[1] {
		off = off*10 + int64(d-'0')
	}
	if off < 8 || off >= int64(len(data)) {
		return bad
	}
	if !pdfXref.Match(data[off:min(int64(len(data)), off+40)]) {
		return bad
	}
	return nil
}
