import { render } from 'preact';
import { App } from './App';
import { restoreSession } from './state/session';
import './state/theme';
import './styles.css';

const root = document.getElementById('app')!;
void restoreSession().finally(() => render(<App />, root));
