import '@xyflow/react/dist/style.css';
import 'uplot/dist/uPlot.min.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { z } from 'zod';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { start } from './state/actions.ts';

// The page runs under a CSP without 'unsafe-eval': keep zod from probing `new Function`.
z.config({ jitless: true });

const container = document.getElementById('root');
if (container === null) throw new Error('Plantbench: #root element missing from index.html');

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void start();
