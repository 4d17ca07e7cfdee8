import { describe, expect, it } from "vitest";
import { ARTIFACT_VERSION, decodeArtifact, encodeArtifact, InvalidArtifactError, type Artifact } from "../../contract/artifact.ts";

const artifact: Artifact = {
  version: ARTIFACT_VERSION,
  glue: "export async function instantiate() { return 'π'; }",
  coreModules: {
    "workflow.core.wasm": new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 42]),
    "workflow.core2.wasm": new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
  },
  sourceMap: '{"version":3,"sources":["index.ts"],"mappings":"AAAA"}',
  bundleFile: "workflow.js",
  toolchain: "componentize-js@0.23.0 jco@1.35.0",
  createdAt: 1_700_000_000_000,
};

describe("artifact codec", () => {
  it("round-trips every field, with raw wasm bytes", () => {
    const decoded = decodeArtifact(encodeArtifact(artifact));
    expect(decoded).toEqual(artifact);
  });

  it("round-trips an artifact without a source map", () => {
    const { sourceMap: _omitted, ...withoutMap } = artifact;
    const decoded = decodeArtifact(encodeArtifact(withoutMap));
    expect(decoded).toEqual(withoutMap);
    expect("sourceMap" in decoded).toBe(false);
  });

  it("decodes from a view at an offset into a larger buffer", () => {
    const encoded = encodeArtifact(artifact);
    const padded = new Uint8Array(encoded.byteLength + 10);
    padded.set(encoded, 7);
    expect(decodeArtifact(padded.subarray(7, 7 + encoded.byteLength))).toEqual(artifact);
  });

  it("refuses a blob without the magic", () => {
    expect(() => decodeArtifact(new TextEncoder().encode("hello world, not an artifact"))).toThrow(/KART magic/);
    expect(() => decodeArtifact(new Uint8Array(0))).toThrow(InvalidArtifactError);
  });

  it("refuses a truncated blob", () => {
    const encoded = encodeArtifact(artifact);
    expect(() => decodeArtifact(encoded.subarray(0, encoded.byteLength - 1))).toThrow(/truncated/);
    expect(() => decodeArtifact(encoded.subarray(0, 20))).toThrow(InvalidArtifactError);
  });

  it("refuses an unknown container format", () => {
    const encoded = encodeArtifact(artifact);
    new DataView(encoded.buffer).setUint32(4, 99, true);
    expect(() => decodeArtifact(encoded)).toThrow(/container format 99 is not supported/);
  });

  it("refuses a damaged header", () => {
    const encoded = encodeArtifact(artifact);
    encoded[12] = 0x21; // the header's opening brace
    expect(() => decodeArtifact(encoded)).toThrow(/header is not JSON/);
  });

  it("refuses a section pointing outside the payload", () => {
    const encoder = new TextEncoder();
    const header = encoder.encode(
      JSON.stringify({ bundleFile: "w.js", toolchain: "t", createdAt: 1, payloadBytes: 4, glue: { offset: 2, length: 9 }, coreModules: {} }),
    );
    const blob = new Uint8Array(12 + header.byteLength + 4);
    blob.set([0x4b, 0x41, 0x52, 0x54]);
    new DataView(blob.buffer).setUint32(4, ARTIFACT_VERSION, true);
    new DataView(blob.buffer).setUint32(8, header.byteLength, true);
    blob.set(header, 12);
    expect(() => decodeArtifact(blob)).toThrow(/glue points outside the payload/);
  });
});
