import { render } from 'preact';
import './styles.css';
import { Root } from './Root';

const root = document.getElementById('root');
if (root != null) render(<Root />, root);
