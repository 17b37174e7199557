// Every route of the assessment app, in the order they are matched.

import type { RouteDef } from '../router.js';
import { assessmentRoutes } from './assessments.js';
import { candidateRoutes } from './candidates.js';
import { controlRoutes } from './control.js';
import { echoRoutes } from './echo.js';
import { fileRoutes } from './files.js';
import { healthRoutes } from './health.js';
import { tagRoutes } from './tags.js';

export const routes: readonly RouteDef[] = [
  ...healthRoutes,
  ...assessmentRoutes,
  ...candidateRoutes,
  ...tagRoutes,
  ...fileRoutes,
  ...echoRoutes,
  ...controlRoutes,
];
