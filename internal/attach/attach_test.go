package attach_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"interlude/internal/attach"
	"interlude/internal/attach/attachtest"
	"interlude/internal/care"
)

// jpegSegments lists the marker bytes of a JPEG's segments up to its scan.
func jpegSegments(t *testing.T, b []byte) []byte {
	t.Helper()
	var out []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		out = append(out, m)
		if m == 0xDA { // start of scan
			return out
		}
		i += 2 + int(b[i+2])<<8 + int(b[i+3])
	}
	return out
}

// TestCheckDropsImageMetadata (issue #6): a JPEG with EXIF GPS and a PNG
// with text chunks come back as the same pixels without any of it.
func TestCheckDropsImageMetadata(t *testing.T) {
	t.Parallel()
	in := attachtest.JPEGWithGPS()
	if !bytes.Contains(in, []byte("Exif")) || !bytes.Contains(in, []byte(attachtest.Canary)) {
		t.Fatal("the fixture carries no EXIF")
	}
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the fixture is no JPEG: %v", err)
	}
	typ, out, err := attach.Check(in)
	if err != nil || typ != care.ContentTypeJPEG {
		t.Fatalf("checking a JPEG: %q %v", typ, err)
	}
	if bytes.Contains(out, []byte("Exif")) || bytes.Contains(out, []byte(attachtest.Canary)) {
		t.Error("the checked JPEG still carries the EXIF")
	}
	if segs := jpegSegments(t, out); bytes.IndexByte(segs, 0xE1) >= 0 {
		t.Errorf("the checked JPEG has an APP1 segment: % x", segs)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil || img.Bounds() != image.Rect(0, 0, 32, 24) {
		t.Fatalf("the checked JPEG: %v %v", img.Bounds(), err)
	}

	in = attachtest.PNGWithText()
	want, err := png.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("the fixture is no PNG: %v", err)
	}
	typ, out, err = attach.Check(in)
	if err != nil || typ != care.ContentTypePNG {
		t.Fatalf("checking a PNG: %q %v", typ, err)
	}
	for _, s := range []string{"tEXt", "iTXt", "eXIf", attachtest.Canary} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("the checked PNG still holds %q", s)
		}
	}
	got, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{0, 0}, {31, 23}, {7, 11}} {
		if got.At(p.X, p.Y) != want.At(p.X, p.Y) {
			t.Errorf("pixel %v: %v, want %v", p, got.At(p.X, p.Y), want.At(p.X, p.Y))
		}
	}
}

// TestCheckRefuses: what is not a JPEG, PNG or PDF, is damaged, is a
// decompression bomb or is too large is refused with a clear reason.
func TestCheckRefuses(t *testing.T) {
	t.Parallel()
	jpg := attachtest.JPEGWithGPS()
	pdf := attachtest.PDF()
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"an HTML page named photo.png", attachtest.HTML(), "must be a JPEG or PNG image or a PDF document"},
		{"empty", nil, "is empty"},
		{"a truncated JPEG", jpg[:len(jpg)/2], "does not decode"},
		{"a PNG signature and nothing else", []byte("\x89PNG\r\n\x1a\n"), "does not decode"},
		{"a PNG claiming 100000 × 100000 pixels", attachtest.PNGBomb(100000, 100000), "megapixels"},
		{"a PNG claiming 5000 × 5000 pixels", attachtest.PNGBomb(5000, 5000), "megapixels"},
		{"a PNG claiming 20000 × 10 pixels", attachtest.PNGBomb(20000, 10), "pixels a side"},
		{"a PNG claiming 64 × 64 with no data", attachtest.PNGBomb(64, 64), "does not decode"},
		{"a PDF header on HTML", append([]byte("%PDF-1.7\n"), attachtest.HTML()...), "structure is not a PDF"},
		{"a truncated PDF", pdf[:len(pdf)-20], "structure is not a PDF"},
		{"a PDF whose startxref points nowhere", bytes.Replace(pdf, []byte("startxref\n"), []byte("startxref\n9"), 1), "structure is not a PDF"},
		{"a PDF of version 9", append([]byte("%PDF-9.1"), pdf[8:]...), "structure is not a PDF"},
		{"too large", append(bytes.Clone(pdf), make([]byte, care.MaxAttachmentSize)...), "larger than 10 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, out, err := attach.Check(tt.data)
			if err == nil {
				t.Fatalf("accepted as %s (%d bytes)", typ, len(out))
			}
			if care.ErrorCode(err) != care.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("refused with %v, want an invalid file that %s", err, tt.want)
			}
			if out != nil {
				t.Error("a refusal returned content")
			}
		})
	}
}

// TestCheckAcceptsPDF: a PDF is kept byte for byte; trailing line ends
// after %%EOF are fine.
func TestCheckAcceptsPDF(t *testing.T) {
	t.Parallel()
	for _, in := range [][]byte{attachtest.PDF(), append(attachtest.PDF(), "\r\n\r\n"...)} {
		typ, out, err := attach.Check(in)
		if err != nil || typ != care.ContentTypePDF || !bytes.Equal(out, in) {
			t.Errorf("a PDF: %q %v, same bytes %v", typ, err, bytes.Equal(out, in))
		}
	}
}

// FuzzAttachmentCheck: Check never panics; what it accepts is one of the
// three types, within the size bound, and checks again as the same type
// (a re-encoded image is a valid image of the same size).
func FuzzAttachmentCheck(f *testing.F) {
	f.Add(attachtest.JPEGWithGPS())
	f.Add(attachtest.PNGWithText())
	f.Add(attachtest.PDF())
	f.Add(attachtest.HTML())
	f.Add(attachtest.PNGBomb(64, 64))
	f.Add([]byte("%PDF-1.0\nstartxref\n0\n%%EOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, out, err := attach.Check(data)
		if err != nil {
			if care.ErrorCode(err) != care.Invalid {
				t.Fatalf("refused with a %s error: %v", care.ErrorCode(err), err)
			}
			return
		}
		if len(out) == 0 || len(out) > care.MaxAttachmentSize {
			t.Fatalf("accepted %d bytes", len(out))
		}
		if attach.Sniff(out) != typ {
			t.Fatalf("accepted as %s, sniffs as %s", typ, attach.Sniff(out))
		}
		typ2, out2, err := attach.Check(out)
		if err != nil || typ2 != typ {
			t.Fatalf("the checked file checks again as %q: %v", typ2, err)
		}
		if typ == care.ContentTypePDF && !bytes.Equal(out, data) {
			t.Fatal("a PDF changed")
		}
		if typ != care.ContentTypePDF {
			c1, _, _ := image.DecodeConfig(bytes.NewReader(out))
			c2, _, _ := image.DecodeConfig(bytes.NewReader(out2))
			if c1.Width != c2.Width || c1.Height != c2.Height || c1.Width == 0 {
				t.Fatalf("sizes %dx%d then %dx%d", c1.Width, c1.Height, c2.Width, c2.Height)
			}
		}
	})
}

// TestCheckKeepsPhotosUpright: a JPEG whose EXIF says to turn it comes
// back turned, without the EXIF, so it shows the same.
func TestCheckKeepsPhotosUpright(t *testing.T) {
	t.Parallel()
	red := func(c color.Color) bool { r, _, b, _ := c.RGBA(); return r > 0xA000 && b < 0x6000 }
	tests := []struct {
		o             uint16
		w, h          int
		redAt, blueAt image.Point
	}{
		{1, 32, 16, image.Pt(2, 8), image.Pt(29, 8)},
		{3, 32, 16, image.Pt(29, 8), image.Pt(2, 8)},
		{6, 16, 32, image.Pt(8, 2), image.Pt(8, 29)}, // 90° clockwise: the left half goes on top
		{8, 16, 32, image.Pt(8, 29), image.Pt(8, 2)}, // 90° anticlockwise: the left half goes below
		{2, 32, 16, image.Pt(29, 8), image.Pt(2, 8)}, // mirrored
	}
	for _, tt := range tests {
		_, out, err := attach.Check(attachtest.JPEGWithOrientation(tt.o))
		if err != nil {
			t.Fatalf("orientation %d: %v", tt.o, err)
		}
		if bytes.Contains(out, []byte("Exif")) {
			t.Errorf("orientation %d: the EXIF stayed", tt.o)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("orientation %d: %v, want %d × %d", tt.o, b, tt.w, tt.h)
			continue
		}
		if !red(img.At(tt.redAt.X, tt.redAt.Y)) || red(img.At(tt.blueAt.X, tt.blueAt.Y)) {
			t.Errorf("orientation %d: red at %v is %v, blue at %v is %v", tt.o, tt.redAt, img.At(tt.redAt.X, tt.redAt.Y), tt.blueAt, img.At(tt.blueAt.X, tt.blueAt.Y))
		}
	}
}
