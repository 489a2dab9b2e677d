import { render } from 'preact';
import { initTheme } from './lib/theme';
import './styles.css';
import { Root } from './Root';

// The theme goes on <html> before anything renders, so no page paints in the
// wrong one. Here and not in index.html: the CSP allows no inline script.
initTheme();

const root = document.getElementById('root');
if (root != null) render(<Root />, root);
