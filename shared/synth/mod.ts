/** DP synthetic data (3A / ClustMix, docs/synthetic-data.md): the public face of shared/synth. */
export { planSynthesis, rhoForEpsilon, gaussianStep } from './core/calibrate.ts';
export type { SynthPlan, SynthPrivacyTarget, SynthTuning, GaussianStep } from './core/calibrate.ts';
export { makeLayout, encodeRows, parseNumericCell, unitValue, numericFromUnit, DEFAULT_SCALE } from './core/encode.ts';
export type { CoordinateLayout, EncodedTable, RawValue, Coordinate } from './core/encode.ts';
export { fitSynthesizer, tooFewRowsMessage } from './core/fit.ts';
export type { FitOptions, SynthFit } from './core/fit.ts';
export { sampleRows, modelSize, allocateRows, makeJitter } from './core/model.ts';
export type { SynthModel, MixtureComponent } from './core/model.ts';
export { validateSchema, labelColumn } from './core/schema.ts';
export type { SynthSchema, ColumnSpec, NumericColumn, CategoricalColumn } from './core/schema.ts';
export { parseCsv, formatCsv, columnIndexes } from './csv.ts';
export type { CsvTable } from './csv.ts';
export { adaptLabels } from './core/adapt.ts';
export type { AdaptOptions } from './core/adapt.ts';
export { fitIndependentMarginals, sampleIndependentMarginals } from './core/independent-marginals.ts';
export type { IndependentMarginals } from './core/independent-marginals.ts';
export { evaluateSynthetic } from './evaluate.ts';
export type { EvaluationReport, EvaluateOptions } from './evaluate.ts';
