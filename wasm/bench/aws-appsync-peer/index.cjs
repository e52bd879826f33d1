// aws-appsync 4.1.10's cache, built the way AWSAppSyncClient builds it.
//
// This lives in its own little package (installed by wasm/bench through a
// `file:` dependency) because aws-appsync and its apollo-cache-inmemory 1.3.12
// accept graphql 14 (aws-appsync: `0.13 || 14.x || 15.0 - 15.3`,
// apollo-cache-inmemory: `… || ^14.0.0`), while @apollo/client 4 needs graphql
// 16+. Everything required from here resolves to aws-appsync-peer/node_modules
// first, so aws-appsync runs against graphql 14.7.0.
//
// What aws-appsync does (lib/client.js, AWSAppSyncClient constructor):
//   - offline enabled (the default, `disableOffline: false`):
//       store = createStore({ …, dataIdFromObject, storage, keyPrefix })   // redux + redux-offline + redux-persist
//       cache = new OfflineCache({ store }, cacheOptions)                  // extends apollo-cache-inmemory's InMemoryCache
//     OfflineCache.write() runs InMemoryCache.write() and then dispatches the
//     whole normalized cache (extract()) into the redux store, which
//     redux-persist later serializes to storage (asynchronously).
//   - `disableOffline: true`: cache = new InMemoryCache(cacheOptions) (apollo-cache-inmemory 1.3.12).
// We take both from a real AWSAppSyncClient, so the construction is exactly
// the package's own.

'use strict';

const { AWSAppSyncClient } = require('aws-appsync');
const { ApolloLink, Observable } = require('apollo-link');
const { InMemoryCache } = require('apollo-cache-inmemory');
const graphql = require('graphql');

const versions = {
  'aws-appsync': require('aws-appsync/package.json').version,
  'apollo-cache-inmemory': require('apollo-cache-inmemory/package.json').version,
  graphql: require('graphql/package.json').version,
};

/** Parses a document with the graphql this peer uses (14.x). */
function parse(text) {
  return graphql.parse(text, { noLocation: true });
}

// A link that never talks to a network: the benchmark drives the cache
// directly. Passing a custom link is also what lets AWSAppSyncClient be
// built without url/region/auth.
const noNetworkLink = new ApolloLink(
  () => new Observable((observer) => observer.error(new Error('no network in the benchmark'))),
);

// redux-persist storage for the offline store. In a browser this would be
// localStorage/IndexedDB, i.e. outside the JS heap, so this storage accepts
// and discards what is written: redux-persist still serializes the whole
// normalized cache after each write (asynchronously, outside the timed
// sections), but the serialized copy does not count toward the JS heap.
function discardingStorage() {
  const storage = {
    writes: 0,
    getAllKeys(cb) {
      cb && cb(null, []);
      return Promise.resolve([]);
    },
    getItem(_key, cb) {
      cb && cb(null, null);
      return Promise.resolve(null);
    },
    setItem(_key, _value, cb) {
      storage.writes++;
      cb && cb(null);
      return Promise.resolve();
    },
    removeItem(_key, cb) {
      cb && cb(null);
      return Promise.resolve();
    },
  };
  return storage;
}

let clients = 0;

/**
 * A fresh cache exactly as `new AWSAppSyncClient({ …, disableOffline })`
 * creates it, once the client has hydrated (as an app awaits
 * `client.hydrated()` before using it). Resolves to
 * `{ cache, client, storage }`; `storage.writes` counts persistence writes
 * (0 with disableOffline).
 */
async function createCache({ disableOffline = false } = {}) {
  const storage = discardingStorage();
  const client = new AWSAppSyncClient(
    {
      disableOffline,
      // Each client needs its own key prefix (aws-appsync refuses to reuse one).
      offlineConfig: { storage, keyPrefix: `bench-${++clients}` },
    },
    { link: noNetworkLink },
  );
  await client.hydrated();
  return { cache: client.cache, client, storage };
}

module.exports = { createCache, parse, versions, InMemoryCache };
