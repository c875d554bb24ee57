import { describe, expect, it } from 'vitest';
import { checkArtifactPath, decodeArtifactPath, mlflowArtifactsPath } from './artifacts.js';

describe('mlflow-artifacts paths', () => {
  it('decodes artifact paths once and refuses what is left encoded', () => {
    expect(decodeArtifactPath('1/abc/artifacts/a%20b.txt')).toBe('1/abc/artifacts/a b.txt');
    expect(decodeArtifactPath('a//b/./c')).toBe('a/b/c');
    expect(() => decodeArtifactPath('%E0%A4%A')).toThrow(/percent-encoding/);
    expect(() => decodeArtifactPath('a%252Fb')).toThrow(/double encoding/);
    expect(() => checkArtifactPath('a/%2e%2e/b')).toThrow(/double encoding/);
    expect(() => checkArtifactPath('../x')).toThrow(/'\.\.'/);
  });

  it('maps mlflow-artifacts URIs to paths below the served folder', () => {
    expect(mlflowArtifactsPath('mlflow-artifacts:/1/abc/artifacts')).toBe('1/abc/artifacts');
    expect(mlflowArtifactsPath('mlflow-artifacts://host:5000/1/models/m-1/artifacts')).toBe(
      '1/models/m-1/artifacts',
    );
    expect(mlflowArtifactsPath('mlflow-artifacts:/')).toBe('');
    expect(mlflowArtifactsPath('s3://bucket/x')).toBeNull();
    expect(() => mlflowArtifactsPath('mlflow-artifacts:/a%252e%252e')).toThrow();
  });
});
