export const TASKS = 'tasks';
