/** The web app's entry: the account first (first start, unlock), then the chat */
import { render } from 'preact'
import { App } from './app.tsx'
import './style.css'

const root = document.getElementById('app')
if (root != null) render(<App />, root)
