package external

import (
	"fmt"
	"image"
)

// maxImages bounds the example images kept for thumbnails.
const maxImages = 8192

// imageCache keeps the latest image of up to max examples, dropping the
// oldest first.
type imageCache struct {
	max   int
	byID  map[int64]image.Image
	order []int64 // ring of ids in insertion order
	next  int
}

func newImageCache(max int) *imageCache {
	return &imageCache{max: max, byID: map[int64]image.Image{}}
}

// add stores the images of b's selected examples.
func (c *imageCache) add(b *Batch) {
	shape := b.Images.Shape
	h, w := shape[0], shape[1]
	ch := 1
	if len(shape) == 3 {
		ch = 3
	}
	size := h * w * ch
	for j, i := range b.Selected {
		px := b.pixels[j*size : (j+1)*size]
		var img image.Image
		if ch == 1 {
			g := image.NewGray(image.Rect(0, 0, w, h))
			copy(g.Pix, px)
			img = g
		} else {
			m := image.NewNRGBA(image.Rect(0, 0, w, h))
			for p := 0; p < h*w; p++ {
				m.Pix[4*p], m.Pix[4*p+1], m.Pix[4*p+2], m.Pix[4*p+3] = px[3*p], px[3*p+1], px[3*p+2], 255
			}
			img = m
		}
		c.put(b.IDs[i], img)
	}
}

func (c *imageCache) put(id int64, img image.Image) {
	if _, ok := c.byID[id]; !ok {
		if len(c.order) < c.max {
			c.order = append(c.order, id)
		} else {
			delete(c.byID, c.order[c.next])
			c.order[c.next] = id
			c.next = (c.next + 1) % c.max
		}
	}
	c.byID[id] = img
}

// get returns example id's image.
func (c *imageCache) get(id int64) (image.Image, error) {
	if img, ok := c.byID[id]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("no image of example %d: the training process sends the images of selected examples only, and the latest %d are kept", id, c.max)
}
