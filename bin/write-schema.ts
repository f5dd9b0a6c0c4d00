// Writes config/schema.json from the zod schema (`npm run schema`); test/config/json-schema.test.ts checks it.
import { writeFileSync } from 'node:fs';
import { configJsonSchemaText } from '../shared/config/json-schema.ts';

writeFileSync(new URL('../config/schema.json', import.meta.url), configJsonSchemaText());
