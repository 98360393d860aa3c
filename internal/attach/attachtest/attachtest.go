// Package attachtest makes files for tests of attachments: images that
// carry metadata to be dropped, a small valid PDF, and files that only
// pretend to be one of these.
package attachtest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strconv"
)

// Canary is written into every piece of metadata these files carry: a
// check that it is gone is a check that the metadata is.
const Canary = "canary-attach-gps-metadata"

// picture is a small image with some structure, so encoders keep it.
func picture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	return img
}

// JPEGWithGPS returns a 32 × 24 JPEG whose APP1 segment holds EXIF with
// a GPS position (latitude N 40° 42' 46", longitude W 74° 0' 21") and an
// image description holding Canary.
func JPEGWithGPS() []byte {
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, picture(32, 24), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	exif := exifGPS()
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(exif)))
	seg = append(seg, exif...)
	b := plain.Bytes()
	out := append([]byte{}, b[:2]...) // SOI
	out = append(out, seg...)
	return append(out, b[2:]...)
}

// exifGPS is an EXIF payload: "Exif\0\0", then a big-endian TIFF with
// IFD0 (ImageDescription, GPS IFD pointer) and a GPS IFD.
func exifGPS() []byte {
	be := binary.BigEndian
	var t []byte
	t = append(t, 'M', 'M', 0, 42, 0, 0, 0, 8)
	desc := append([]byte(Canary), 0)
	// IFD0 at 8: 2 entries (2 + 2*12 + 4 = 30 bytes), then data.
	ifd0Data := 8 + 30
	gpsIFD := ifd0Data + len(desc)
	entry := func(tag, typ uint16, count, value uint32) {
		var e [12]byte
		be.PutUint16(e[0:], tag)
		be.PutUint16(e[2:], typ)
		be.PutUint32(e[4:], count)
		be.PutUint32(e[8:], value)
		t = append(t, e[:]...)
	}
	t = be.AppendUint16(t, 2)
	entry(0x010E, 2, uint32(len(desc)), uint32(ifd0Data)) // ImageDescription
	entry(0x8825, 4, 1, uint32(gpsIFD))                   // GPSInfo
	t = be.AppendUint32(t, 0)
	t = append(t, desc...)
	// GPS IFD: 4 entries (2 + 48 + 4 = 54 bytes), then 2 × 3 rationals.
	rat := gpsIFD + 54
	t = be.AppendUint16(t, 4)
	entry(1, 2, 2, uint32('N')<<24) // GPSLatitudeRef
	entry(2, 5, 3, uint32(rat))     // GPSLatitude
	entry(3, 2, 2, uint32('W')<<24) // GPSLongitudeRef
	entry(4, 5, 3, uint32(rat+24))  // GPSLongitude
	t = be.AppendUint32(t, 0)
	for _, v := range []uint32{40, 1, 42, 1, 46, 1, 74, 1, 0, 1, 21, 1} {
		t = be.AppendUint32(t, v)
	}
	return append([]byte("Exif\x00\x00"), t...)
}

// PNGWithText returns a 32 × 24 PNG with tEXt, zTXt-free iTXt and eXIf
// chunks before its image data, each holding Canary.
func PNGWithText() []byte {
	var plain bytes.Buffer
	if err := png.Encode(&plain, picture(32, 24)); err != nil {
		panic(err)
	}
	b := plain.Bytes()
	// The signature (8) and IHDR (4 + 4 + 13 + 4) come first.
	head := 8 + 25
	out := append([]byte{}, b[:head]...)
	out = append(out, Chunk("tEXt", []byte("Comment\x00"+Canary))...)
	out = append(out, Chunk("iTXt", []byte("Description\x00\x00\x00\x00\x00"+Canary))...)
	out = append(out, Chunk("eXIf", exifGPS()[6:])...)
	return append(out, b[head:]...)
}

// Chunk encodes one PNG chunk.
func Chunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// PNGBomb returns a small PNG whose header claims width × height pixels
// (of 8-bit grey), with a little image data: a decompression bomb's shape.
func PNGBomb(width, height uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, width)
	ihdr = binary.BigEndian.AppendUint32(ihdr, height)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, Chunk("IHDR", ihdr)...)
	out = append(out, Chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, Chunk("IEND", nil)...)
}

// PDF returns a small valid one-page PDF whose cross-reference table
// offsets are right.
func PDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
	}
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		b.WriteString(itoa(i+1) + " 0 obj\n" + o + "\nendobj\n")
	}
	xref := b.Len()
	b.WriteString("xref\n0 " + itoa(len(objs)+1) + "\n0000000000 65535 f \n")
	for _, o := range offs {
		s := itoa(o)
		for len(s) < 10 {
			s = "0" + s
		}
		b.WriteString(s + " 00000 n \n")
	}
	b.WriteString("trailer\n<< /Size " + itoa(len(objs)+1) + " /Root 1 0 R >>\nstartxref\n" + itoa(xref) + "\n%%EOF\n")
	return b.Bytes()
}

func itoa(n int) string { return strconv.Itoa(n) }

// HTML is an HTML page, to be uploaded under an image's name.
func HTML() []byte {
	return []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n")
}

// JPEGWithOrientation returns a 32 × 16 JPEG, red on its left half and
// blue on its right, with EXIF saying to show it turned by orientation o
// (6: 90° clockwise), little-endian as phones write it.
func JPEGWithOrientation(o uint16) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 16))
	for y := range 16 {
		for x := range 32 {
			c := color.NRGBA{220, 0, 0, 255}
			if x >= 16 {
				c = color.NRGBA{0, 0, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	le := binary.LittleEndian
	t := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	t = le.AppendUint16(t, 1)
	t = le.AppendUint16(t, 0x0112)
	t = le.AppendUint16(t, 3)
	t = le.AppendUint32(t, 1)
	t = le.AppendUint16(t, o)
	t = le.AppendUint16(t, 0)
	t = le.AppendUint32(t, 0)
	exif := append([]byte("Exif\x00\x00"), t...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(exif)))
	b := plain.Bytes()
	out := append(append([]byte{}, b[:2]...), seg...)
	out = append(out, exif...)
	return append(out, b[2:]...)
}
