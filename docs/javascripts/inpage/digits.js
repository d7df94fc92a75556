// A drawing or photo -> a 28 x 28 MNIST-style digit: the browser's copy of
// learntorch.digits.preprocess.to_mnist (see its docstrings for why each step is there). The
// constants come from the export's digits.json, written from the Python ones.
import {
  BadInput, cropTo, interpolate, pasteOnBlack, percentile, median, roundHalfEven, thumbnail,
} from "./pictures.js";

// Solve the 3 x 3 system m c = v (Cramer's rule); a zero column (a picture one pixel
// high or wide) gets coefficient 0, as numpy's least-squares solution does.
function solve3(m, v) {
  const det = (a) => a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                   - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                   + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const used = [0, 1, 2].filter((i) => m[i][i] !== 0);
  if (used.length < 3) { // solve the smaller system of the columns in use
    const c = [0, 0, 0];
    if (used.length === 1) c[used[0]] = v[used[0]] / m[used[0]][used[0]];
    if (used.length === 2) {
      const [i, j] = used, d = m[i][i] * m[j][j] - m[i][j] * m[j][i];
      c[i] = (v[i] * m[j][j] - m[i][j] * v[j]) / d;
      c[j] = (m[i][i] * v[j] - v[i] * m[j][i]) / d;
    }
    return c;
  }
  const d = det(m);
  return [0, 1, 2].map((k) => det(m.map((row, r) => row.map((x, col) => (col === k ? v[r] : x)))) / d);
}

// The paper's brightness at every pixel: a plane a + b row + c column fitted by least
// squares to the border pixels, then fitted again without the border pixels far from
// the first fit (ink touching the edge).
function paperBrightness({ pixels, width, height }) {
  const border = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y === 0 || y === height - 1 || x === 0 || x === width - 1) border.push([y, x, pixels[y * width + x]]);
    }
  }
  let keep = border.map(() => true), plane = [0, 0, 0];
  for (let round = 0; round < 2; round++) {
    const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]], v = [0, 0, 0]; // normal equations
    border.forEach(([y, x, value], i) => {
      if (!keep[i]) return;
      const row = [1, y, x];
      for (let a = 0; a < 3; a++) {
        v[a] += row[a] * value;
        for (let b = 0; b < 3; b++) m[a][b] += row[a] * row[b];
      }
    });
    plane = solve3(m, v);
    const misfit = border.map(([y, x, value]) => Math.abs(value - (plane[0] + plane[1] * y + plane[2] * x)));
    const limit = 3 * median(misfit) + 2;
    keep = misfit.map((miss) => miss <= limit);
  }
  return (y, x) => plane[0] + plane[1] * y + plane[2] * x;
}

// How much ink each pixel holds, 0 to 1: whatever departs from the paper's brightness in
// the direction with the larger extreme, noise below the threshold removed.
function inkMap(picture, c) {
  const image = thumbnail(picture, c.working_side);
  const { pixels, width, height } = image;
  const paper = paperBrightness(image);
  const difference = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) difference[y * width + x] = pixels[y * width + x] - paper(y, x);
  }
  const darkest = percentile(difference, 0.05), lightest = percentile(difference, 99.95);
  const sign = -darkest > lightest ? -1 : 1;
  let strongest = 0;
  for (let i = 0; i < difference.length; i++) strongest = Math.max(strongest, sign * difference[i]);
  if (strongest < c.min_contrast) {
    throw new BadInput("The picture looks blank: draw a digit (or upload a photo of one) and try again.");
  }
  const ink = new Float32Array(difference.length);
  for (let i = 0; i < ink.length; i++) {
    const share = Math.max(sign * difference[i], 0) / strongest;
    ink[i] = share < c.ink_threshold ? 0 : share;
  }
  return { pixels: ink, width, height };
}

// Longer side to `box` pixels, keeping the aspect ratio; full ink restored after shrinking.
function scaleToBox(ink, box) {
  const factor = box / Math.max(ink.height, ink.width);
  const height = Math.max(1, roundHalfEven(ink.height * factor));
  const width = Math.max(1, roundHalfEven(ink.width * factor));
  const scaled = interpolate(ink, height, width);
  const clamped = scaled.pixels.map((v) => Math.max(v, 0));
  const strongest = clamped.reduce((a, b) => Math.max(a, b), 0);
  return { pixels: clamped.map((v) => v / strongest), width, height };
}

// On a black canvas x canvas square with the ink's centre of mass at (centre, centre).
function pasteCentred(digit, c) {
  let total = 0, rowSum = 0, colSum = 0;
  for (let y = 0; y < digit.height; y++) {
    for (let x = 0; x < digit.width; x++) {
      const value = digit.pixels[y * digit.width + x];
      total += value; rowSum += y * value; colSum += x * value;
    }
  }
  const top = Math.min(Math.max(roundHalfEven(c.centre - rowSum / total), 0), c.canvas - digit.height);
  const left = Math.min(Math.max(roundHalfEven(c.centre - colSum / total), 0), c.canvas - digit.width);
  return pasteOnBlack(digit, c.canvas, top, left);
}

// A gray picture (see pictures.grayPicture) -> 28 x 28 values in [0, 1], row by row.
export function toMnist(picture, constants) {
  const cropped = cropTo(inkMap(picture, constants), (value) => value !== 0);
  return pasteCentred(scaleToBox(cropped, constants.digit_box), constants);
}
