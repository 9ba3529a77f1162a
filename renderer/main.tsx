import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { applyTheme, storedTheme } from './theme.js';
import './styles.css';

// theme-boot.js already set the saved theme for the first paint; this applies theme.ts's own reading of it
// before anything renders, so the app is right even where that script did not run.
applyTheme(storedTheme());

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
