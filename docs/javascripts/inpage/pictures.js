// Reading a picture in the browser the way the Python demos read an upload, and the two
// resamplers their preprocessing uses. Ported from learntorch.inputs.open_image and from
// what it calls: Pillow's convert("L") and thumbnail(), and torch's antialiased
// F.interpolate. The tests compare the results with Python's on the same pictures.

export class BadInput extends Error {
  constructor(message) {
    super(message);
    this.name = "BadInput";
  }
}

export const NOT_AN_IMAGE = "is not an image this demo can read: upload a PNG, JPEG, WebP, GIF or BMP picture.";

function pictureSize(source) {
  if (source instanceof HTMLImageElement) return [source.naturalWidth, source.naturalHeight];
  return [source.width, source.height]; // a canvas or an ImageBitmap
}

async function loaded(image) {
  if (!image.complete) {
    await new Promise((resolve) => {
      image.addEventListener("load", resolve, { once: true });
      image.addEventListener("error", resolve, { once: true });
    });
  }
  if (image.naturalWidth === 0) throw new BadInput(`That file ${NOT_AN_IMAGE}`);
}

// The picture as Pillow's "L" image: one byte of brightness per pixel, row by row.
// Transparent parts are laid onto white first, as open_image does.
export async function grayPicture(source, maxPixels) {
  if (source == null) throw new BadInput("No image received: draw something or upload a picture.");
  if (source instanceof HTMLImageElement) await loaded(source);
  const [width, height] = pictureSize(source);
  if (width * height > maxPixels) {
    throw new BadInput(`That image is ${width} x ${height} pixels; the limit is ${maxPixels / 1e6} ` +
                       "megapixels. Please resize it and try again.");
  }
  if (!width || !height) throw new BadInput("That image is empty (0 pixels).");
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.drawImage(source, 0, 0);
  let rgba;
  try {
    rgba = context.getImageData(0, 0, width, height).data;
  } catch {
    throw new BadInput("That picture comes from another site, so this page may not read its pixels.");
  }
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) { // Pillow's L = (299 R + 587 G + 114 B) / 1000, in fixed point
    gray[i] = (rgba[4 * i] * 19595 + rgba[4 * i + 1] * 38470 + rgba[4 * i + 2] * 7471 + 0x8000) >> 16;
  }
  return { pixels: gray, width, height };
}

// ---------------------------------------------------------------------------------------
// Resampling: each output pixel is a weighted mean of the input pixels under a filter
// centred on it. When shrinking by a factor s the filter is s times wider (antialiasing:
// every input pixel counts). Pillow and torch compute the weights the same way.

const bilinear = { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) };
const bicubic = { // Pillow's cubic convolution, a = -0.5
  support: 2,
  weight(x) {
    const a = -0.5;
    x = Math.abs(x);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

// For each of outSize outputs: the first input it reads (`first`) and the weights of the
// `taps` inputs from there (`weights`, taps per output), resampling the span [start, end)
// of inSize inputs.
function contributions(inSize, outSize, filter, start = 0, end = inSize) {
  const scale = (end - start) / outSize;
  const widening = Math.max(scale, 1);
  const reach = filter.support * widening;
  const taps = Math.ceil(reach) * 2 + 1;
  const first = new Int32Array(outSize), weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const centre = start + (i + 0.5) * scale;
    first[i] = Math.max(Math.trunc(centre - reach + 0.5), 0);
    const last = Math.min(Math.trunc(centre + reach + 0.5), inSize);
    let total = 0;
    for (let j = first[i]; j < last; j++) {
      total += weights[i * taps + j - first[i]] = filter.weight((j - centre + 0.5) / widening);
    }
    for (let k = 0; k < taps && total; k++) weights[i * taps + k] /= total;
  }
  return { first, weights, taps };
}

// One pass of a resampling along the rows (horizontal) or the columns. `one` is 1 for
// float pixels; for byte pixels it is the fixed-point 1 of integer weights, and each sum
// is rounded to a byte as Pillow does. Weights past an output's last input are 0.
function pass(image, horizontal, { first, weights, taps }, one) {
  const { pixels, width, height } = image;
  const [outWidth, outHeight] = horizontal ? [first.length, height] : [width, first.length];
  const [inSize, step] = horizontal ? [width, 1] : [height, width];
  const bytes = one !== 1;
  const out = bytes ? new Uint8Array(outWidth * outHeight) : new Float32Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const i = horizontal ? x : y;
      const start = horizontal ? y * width + first[i] : first[i] * width + x;
      const count = Math.min(taps, inSize - first[i]);
      let sum = bytes ? one / 2 : 0;
      for (let k = 0; k < count; k++) sum += weights[i * taps + k] * pixels[start + k * step];
      out[y * outWidth + x] = bytes ? Math.min(255, Math.max(0, Math.floor(sum / one))) : sum;
    }
  }
  return { pixels: out, width: outWidth, height: outHeight };
}

// torch.nn.functional.interpolate(mode="bilinear", antialias=True, align_corners=False)
// on float pixels: the width first, then the height.
export function interpolate(image, outHeight, outWidth) {
  const wide = pass(image, true, contributions(image.width, outWidth, bilinear), 1);
  return pass(wide, false, contributions(image.height, outHeight, bilinear), 1);
}

// Pillow's bicubic resize of the span `box` of a byte image: the weights in fixed point
// with 22 fractional bits, the result rounded to a byte after each pass.
function pillowResize(image, outWidth, outHeight, box) {
  const one = 2 ** 22;
  const fixedPoint = ({ first, weights, taps }) => (
    { first, taps, weights: weights.map((w) => Math.trunc(w * one + (w < 0 ? -0.5 : 0.5))) });
  const rows = fixedPoint(contributions(image.width, outWidth, bicubic, box[0], box[2]));
  const columns = fixedPoint(contributions(image.height, outHeight, bicubic, box[1], box[3]));
  return pass(pass(image, true, rows, one), false, columns, one);
}

// Pillow's Image.reduce: the mean of each factorX x factorY block, rounded; blocks at the
// right and bottom edges may be smaller.
function reduce(image, factorX, factorY) {
  const { pixels, width, height } = image;
  const outWidth = Math.ceil(width / factorX), outHeight = Math.ceil(height / factorY);
  const out = new Uint8Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0, count = 0;
      for (let yy = y * factorY; yy < Math.min((y + 1) * factorY, height); yy++) {
        for (let xx = x * factorX; xx < Math.min((x + 1) * factorX, width); xx++) {
          sum += pixels[yy * width + xx];
          count++;
        }
      }
      out[y * outWidth + x] = Math.trunc((sum + Math.floor(count / 2)) * (1 / count));
    }
  }
  return { pixels: out, width: outWidth, height: outHeight };
}

// Pillow's Image.thumbnail((side, side)): shrink to fit a side x side square, keeping the
// aspect ratio; first by whole blocks (reducing_gap=2), then bicubic for the rest.
export function thumbnail(image, side) {
  const { width, height } = image;
  if (side >= width && side >= height) return image;
  const aspect = width / height;
  // the whole number of pixels, floor or ceiling, that keeps the aspect ratio best
  const closest = (value, error) => {
    const [low, high] = [Math.floor(value), Math.ceil(value)];
    return Math.max(error(low) <= error(high) ? low : high, 1);
  };
  let [x, y] = [side, side];
  if (x / y >= aspect) x = closest(y * aspect, (n) => Math.abs(aspect - n / y));
  else y = closest(x / aspect, (n) => (n === 0 ? 0 : Math.abs(aspect - x / n)));
  const factorX = Math.trunc(width / x / 2) || 1, factorY = Math.trunc(height / y / 2) || 1;
  if (factorX > 1 || factorY > 1) {
    return pillowResize(reduce(image, factorX, factorY), x, y, [0, 0, width / factorX, height / factorY]);
  }
  return pillowResize(image, x, y, [0, 0, width, height]);
}

// ---------------------------------------------------------------------------------------
// numpy's helpers, as the preprocessing uses them

// The k-th smallest of `values`, which it reorders so that every later value is at least
// as large (quickselect: on average a few passes over the values, no full sort).
function kthSmallest(values, k) {
  let left = 0, right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1];
    let i = left, j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i++] = values[j];
        values[j--] = swap;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k];
}

// np.percentile(values, q): linear interpolation between the two nearest ranks.
export function percentile(values, q) {
  const copy = Float64Array.from(values);
  const index = (q / 100) * (copy.length - 1);
  const below = Math.floor(index), t = index - below;
  const a = kthSmallest(copy, below);
  let b = a;
  for (let i = below + 1; i < copy.length && t > 0; i++) b = i === below + 1 ? copy[i] : Math.min(b, copy[i]);
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

export function median(values) {
  return percentile(values, 50);
}

// Python's round(): halves go to the even neighbour.
export function roundHalfEven(x) {
  const nearest = Math.round(x);
  return Math.abs(x % 1) === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest;
}

// The smallest rectangle holding every pixel for which `inside(value)` holds.
export function cropTo(image, inside) {
  const { pixels, width, height } = image;
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (inside(pixels[y * width + x])) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  const out = new Float32Array((bottom - top + 1) * (right - left + 1));
  for (let y = top; y <= bottom; y++) {
    out.set(pixels.subarray(y * width + left, y * width + right + 1), (y - top) * (right - left + 1));
  }
  return { pixels: out, width: right - left + 1, height: bottom - top + 1 };
}

// `image` pasted onto a black side x side square with its top-left corner at (top, left).
export function pasteOnBlack(image, side, top, left) {
  const out = new Float32Array(side * side);
  for (let y = 0; y < image.height; y++) {
    out.set(image.pixels.subarray(y * image.width, (y + 1) * image.width), (top + y) * side + left);
  }
  return out;
}
