import { createTheme, type CSSVariablesResolver } from '@mantine/core';

/**
 * Mantine's defaults, darkened where text sits on colour so every text meets WCAG AA contrast
 * (the browser test runs axe-core on every page): filled buttons, light and subtle variants,
 * error and dimmed text use shade 9 (gray 7) instead of shade 6.
 */
export const theme = createTheme({ primaryColor: 'blue', primaryShade: { light: 9, dark: 8 } });

const COLORS = ['blue', 'red', 'green', 'orange', 'indigo', 'gray'] as const;

export const cssVariables: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
    '--mantine-primary-color-light-color': 'var(--mantine-color-blue-9)',
    '--mantine-primary-color-filled': 'var(--mantine-color-blue-9)',
    ...Object.fromEntries(
      COLORS.flatMap((c) => [
        [`--mantine-color-${c}-text`, `var(--mantine-color-${c}-9)`],
        [`--mantine-color-${c}-light-color`, `var(--mantine-color-${c}-9)`],
        [`--mantine-color-${c}-outline`, `var(--mantine-color-${c}-9)`],
        [`--mantine-color-${c}-filled`, `var(--mantine-color-${c}-9)`],
      ]),
    ),
  },
  dark: {},
});
