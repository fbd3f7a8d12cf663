# The ZooKeeper ensemble that node['midonet_vpc']['zookeepers'] describes, as plain Ruby: the
# recipes, the templates and the cookbook test (chef/test/render.rb) all read it through here,
# so the ensemble a member joins and the one the gateways connect to cannot differ.
module MidonetVpc
  module Ensemble
    # One member: `id` is its ZooKeeper server id (its position in the list, from 1).
    Server = Struct.new(:id, :host, :client_port, :quorum_port, :election_port) do
      # `host:client_port`, as clients spell a server.
      def client_address
        "#{host}:#{client_port}"
      end
    end

    # The members, from `attrs` (node['midonet_vpc']); raises on an entry that does not parse.
    def self.servers(attrs)
      entries = attrs['zookeepers'].to_a
      raise ArgumentError, "node['midonet_vpc']['zookeepers'] is empty" if entries.empty?
      entries.each_with_index.map do |entry, index|
        host, *ports = entry.to_s.split(':')
        numbers = ports.map { |port| Integer(port, 10, exception: false) }
        valid = !host.to_s.empty? && [1, 3].include?(ports.size) &&
                numbers.all? { |n| n && n.between?(1, 65_535) }
        unless valid
          raise ArgumentError, "node['midonet_vpc']['zookeepers'][#{index}]: #{entry.inspect} is " \
                               'not host:client_port or host:client_port:quorum_port:election_port'
        end
        quorum = numbers[1] || attrs['zookeeper']['quorum_port']
        election = numbers[2] || attrs['zookeeper']['election_port']
        Server.new(index + 1, host, numbers[0], quorum, election)
      end
    end

    # `host:port` of each member, for the gateways' `zookeeper` list.
    def self.client_addresses(attrs)
      servers(attrs).map(&:client_address)
    end

    # The member with server id `id`.
    def self.member(attrs, id)
      found = servers(attrs).find { |server| server.id == Integer(id) }
      return found if found
      raise ArgumentError, "ZooKeeper server id #{id} is not in node['midonet_vpc']['zookeepers'] " \
                           "(ids 1..#{servers(attrs).size})"
    end

    # The server id of this node: node['midonet_vpc']['zookeeper']['my_id'], or else the one
    # member whose host is among `names` (this node's addresses and host names).
    def self.my_id(attrs, names)
      given = attrs['zookeeper']['my_id']
      return member(attrs, given).id unless given.nil?
      mine = servers(attrs).select { |server| names.include?(server.host) }
      return mine.first.id if mine.size == 1
      hosts = servers(attrs).map(&:host).uniq.join(', ')
      if mine.empty?
        raise ArgumentError, "none of this node's addresses and names (#{names.join(', ')}) is a " \
                             "ZooKeeper server (#{hosts}): set node['midonet_vpc']['zookeeper']['my_id']"
      end
      raise ArgumentError, "several ZooKeeper servers (#{mine.map(&:id).join(', ')}) are on this " \
                           "node: set node['midonet_vpc']['zookeeper']['my_id']"
    end

    # This node's addresses and names, from Ohai.
    def self.node_names(node)
      addresses = node['network']['interfaces'].to_h.values.flat_map do |interface|
        interface.to_h.fetch('addresses', {}).keys
      end
      (addresses + [node['fqdn'], node['hostname'], node['ipaddress']]).compact.uniq
    end
  end
end
