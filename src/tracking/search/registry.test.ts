import { describe, expect, it } from 'vitest';
import { filterItems } from './evaluate.js';
import { MODEL_VERSION_GRAMMAR, REGISTERED_MODEL_GRAMMAR } from './filter.js';
import { isPrompt, PROMPT_TAG, parseRegistryFilter } from './registry.js';

describe("MLflow's prompt rule for registry searches", () => {
  it("drops MLflow 3's not-a-prompt clause and hides prompts instead", () => {
    expect(
      parseRegistryFilter(
        "name LIKE 'a%' AND tag.`mlflow.prompt.is_prompt` != 'true'",
        REGISTERED_MODEL_GRAMMAR,
      ),
    ).toEqual({
      comparisons: [{ type: 'attribute', key: 'name', comparator: 'LIKE', value: 'a%' }],
      excludePrompts: true,
    });
    expect(parseRegistryFilter("tags.`mlflow.prompt.is_prompt` != 'true'", REGISTERED_MODEL_GRAMMAR)).toEqual(
      {
        comparisons: [],
        excludePrompts: true,
      },
    );
    expect(parseRegistryFilter("name = 'x'", REGISTERED_MODEL_GRAMMAR)).toEqual({
      comparisons: [{ type: 'attribute', key: 'name', comparator: '=', value: 'x' }],
      excludePrompts: true,
    });
    expect(parseRegistryFilter(undefined, MODEL_VERSION_GRAMMAR)).toEqual({
      comparisons: [],
      excludePrompts: true,
    });
    // Any other comparison on the prompt tag is dropped too, as MLflow does.
    expect(parseRegistryFilter("tags.`mlflow.prompt.is_prompt` = 'false'", REGISTERED_MODEL_GRAMMAR)).toEqual(
      {
        comparisons: [],
        excludePrompts: true,
      },
    );
  });

  it('keeps the prompt comparison when the filter asks for prompts', () => {
    for (const filter of [
      "tags.`mlflow.prompt.is_prompt` = 'true'",
      "tags.`mlflow.prompt.is_prompt` = 'TRUE'",
      "tags.`mlflow.prompt.is_prompt` != 'false'",
    ]) {
      const parsed = parseRegistryFilter(`name = 'p' and ${filter}`, MODEL_VERSION_GRAMMAR);
      expect(parsed.excludePrompts, filter).toBe(false);
      expect(parsed.comparisons.map((c) => c.key)).toEqual(['name', PROMPT_TAG]);
    }
  });

  it('matches in memory as the SQL does: a tag comparison, != included, needs the tag', () => {
    const models = [
      { name: 'plain', tags: [] as Array<{ key: string; value: string }> },
      { name: 'prompt', tags: [{ key: PROMPT_TAG, value: 'true' }] },
      { name: 'other', tags: [{ key: 'team', value: 'b' }] },
    ];
    const get = (m: (typeof models)[number], _type: string, key: string) =>
      key === 'name' ? m.name : m.tags.find((t) => t.key === key)?.value;
    const { comparisons, excludePrompts } = parseRegistryFilter(
      "tags.team != 'a' and tag.`mlflow.prompt.is_prompt` != 'true'",
      REGISTERED_MODEL_GRAMMAR,
    );
    const visible = filterItems(models, comparisons, get).filter(
      (m) => !(excludePrompts && isPrompt(m.tags)),
    );
    expect(visible.map((m) => m.name)).toEqual(['other']);
    expect(isPrompt([{ key: PROMPT_TAG, value: 'True' }])).toBe(false);
  });
});
