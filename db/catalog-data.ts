/** The demo catalog. Ids are stable: carts, events and tests refer to them. Prices in cents (EUR). */
export const demoProducts = [
  { id: 'espresso-beans', name: 'Espresso beans', description: 'Dark roast, 1 kg. Chocolate and hazelnut, built for milk drinks.', priceCents: 2490, stock: 40 },
  { id: 'filter-roast', name: 'Filter roast', description: 'Light roast from Ethiopia, 500 g. Jasmine, lemon, black tea.', priceCents: 1490, stock: 35 },
  { id: 'decaf-beans', name: 'Swiss water decaf', description: 'Chemical-free decaf, 500 g. Caramel and red apple.', priceCents: 1390, stock: 25 },
  { id: 'ceramic-mug', name: 'Ceramic mug', description: 'Hand-glazed stoneware, 300 ml, dishwasher safe.', priceCents: 1200, stock: 60 },
  { id: 'pour-over-dripper', name: 'Pour-over dripper', description: 'Porcelain cone for one to two cups.', priceCents: 2800, stock: 18 },
  { id: 'paper-filters', name: 'Paper filters', description: '100 unbleached cone filters, size 02.', priceCents: 650, stock: 120 },
  { id: 'hand-grinder', name: 'Burr hand grinder', description: 'Steel conical burrs, 40 click settings, espresso to French press.', priceCents: 6900, stock: 8 },
  { id: 'gooseneck-kettle', name: 'Gooseneck kettle', description: '0.9 l stovetop kettle with a thermometer in the lid.', priceCents: 5900, stock: 12 },
  { id: 'french-press', name: 'French press', description: 'Borosilicate glass, 1 l, double steel mesh.', priceCents: 3400, stock: 20 },
  { id: 'milk-frother', name: 'Milk frother', description: 'Steel pitcher, 600 ml, with latte-art spout.', priceCents: 2900, stock: 3 },
  { id: 'digital-scale', name: 'Brewing scale', description: '0.1 g resolution with a built-in timer.', priceCents: 3900, stock: 15 },
  { id: 'travel-tumbler', name: 'Travel tumbler', description: 'Vacuum insulated, 350 ml, leak-proof lid.', priceCents: 2200, stock: 30 },
  { id: 'sencha-tea', name: 'Sencha green tea', description: 'First flush from Shizuoka, 100 g tin.', priceCents: 1100, stock: 0 },
  { id: 'cold-brew-jar', name: 'Cold brew jar', description: '1.5 l glass jar with a fine steel filter.', priceCents: 2600, stock: 10 },
] as const;

export const demoUsers = [
  { id: 'user-alice', email: 'alice@example.com', name: 'Alice', password: 'alice', role: 'shopper' },
  { id: 'user-bob', email: 'bob@example.com', name: 'Bob', password: 'bob', role: 'shopper' },
  { id: 'user-admin', email: 'admin@example.com', name: 'Admin', password: 'admin', role: 'admin' },
] as const;
