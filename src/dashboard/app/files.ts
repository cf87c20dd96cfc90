/** A file the user picked, as the API takes media: base64 and its type. */
export interface PickedFile {
  name: string;
  mimetype: string;
  base64: string;
  /** For a preview of images. */
  dataUrl: string;
}

export function readFile(file: File): Promise<PickedFile> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const dataUrl = String(reader.result);
      resolve({ name: file.name, mimetype: file.type || 'application/octet-stream', base64: dataUrl.slice(dataUrl.indexOf(',') + 1), dataUrl });
    };
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
}
