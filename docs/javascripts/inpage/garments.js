// A photo -> a 28 x 28 Fashion-MNIST-style image: the browser's copy of
// learntorch.fashion.preprocess.to_fashion. The constants come from the export's
// fashion.json, written from the Python ones.
import { BadInput, cropTo, interpolate, median, pasteOnBlack, percentile, thumbnail } from "./pictures.js";

// Gray, the object light on black: a light background (the median of the border pixels)
// is inverted, a dark one kept; the background becomes 0 and the object's strongest 1.
function objectMap(picture, c) {
  const { pixels, width, height } = thumbnail(picture, c.working_side);
  const border = [];
  for (let x = 0; x < width; x++) border.push(pixels[x], pixels[(height - 1) * width + x]);
  for (let y = 0; y < height; y++) border.push(pixels[y * width], pixels[y * width + width - 1]);
  const background = median(border);
  const light = background >= 128;
  const objects = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) objects[i] = Math.max(light ? background - pixels[i] : pixels[i] - background, 0);
  const strongest = percentile(objects, 99.9);
  if (strongest < c.min_contrast) {
    throw new BadInput("The picture looks blank: upload a photo of one garment, shoe or bag " +
                       "on a plain background.");
  }
  for (let i = 0; i < objects.length; i++) objects[i] = Math.min(Math.max(objects[i] / strongest, 0), 1);
  return { pixels: objects, width, height };
}

// A gray picture (see pictures.grayPicture) -> side x side values in [0, 1], row by row:
// cropped to the object, centred on a black square as wide as its longer side, shrunk.
export function toFashion(picture, c) {
  const cropped = cropTo(objectMap(picture, c), (value) => value > c.object_threshold);
  const side = Math.max(cropped.width, cropped.height);
  const square = {
    pixels: pasteOnBlack(cropped, side, Math.floor((side - cropped.height) / 2), Math.floor((side - cropped.width) / 2)),
    width: side, height: side,
  };
  return interpolate(square, c.side, c.side).pixels.map((v) => Math.min(Math.max(v, 0), 1));
}
