import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type PipelineKind, resolveConfig } from '../pipelines/index.js';
import { getTemplate, TEMPLATES, templateConfigYaml } from './templates.js';

describe('experiment templates', () => {
  it('write starter configs the pipelines accept, for the standard experiments', () => {
    for (const t of Object.values(TEMPLATES)) {
      const raw = parse(templateConfigYaml(t)) as Record<string, unknown>;
      const cfg = resolveConfig(raw['pipeline'] as PipelineKind, raw, t.name);
      expect(cfg.experiment).toBe(t.experiment);
      expect(t.experiment).toMatch(
        /^NBA_Props_Model\/(Phase1_Baseline|Phase1_Features|Phase1_Architecture|Phase2_PositionDefense|Production)$/,
      );
      expect(t.tags['propflow.template']).toBe(t.name);
    }
    expect(templateConfigYaml(getTemplate('architecture'))).toMatch(
      /^# Run: propflow train two-stage --config/m,
    );
  });

  it('names the known templates for an unknown one', () => {
    expect(() => getTemplate('phase9')).toThrow(
      /Unknown experiment template 'phase9'. Templates: phase1_baseline, phase1_features, architecture/,
    );
  });
});
